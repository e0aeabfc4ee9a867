import Foundation

/// How a configuration's modules changed between two versions
/// (`GET /configurations/{id}/versions/{vid}/diff?against=`): from the
/// version `against` names to this one, matched by module name.
public struct ModuleDiff: Codable, Sendable, Equatable {
    public struct Change: Codable, Sendable, Equatable {
        public var name: String
        public var from: ConfigModule
        public var to: ConfigModule
    }

    public var from: VersionRef
    public var to: VersionRef
    public var added: [ConfigModule]
    public var removed: [ConfigModule]
    public var changed: [Change]

    public init(from: VersionRef, old: [ConfigModule], to: VersionRef, new: [ConfigModule]) {
        self.from = from
        self.to = to
        let before = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        added = new.filter { before[$0.name] == nil }.sorted { $0.name < $1.name }
        removed = old.filter { after[$0.name] == nil }.sorted { $0.name < $1.name }
        changed = new.compactMap { module in
            guard let previous = before[module.name], !previous.sameSettings(as: module) else { return nil }
            return Change(name: module.name, from: previous, to: module)
        }.sorted { $0.name < $1.name }
    }
}

extension ConfigModule {
    /// Equal apart from the row id (each version has its own rows).
    func sameSettings(as other: ConfigModule) -> Bool {
        path == other.path && isBuiltin == other.isBuiltin && isRequired == other.isRequired && parameters == other.parameters
    }
}

/// The resolved .config symbols that differ between two artifacts
/// (`GET /artifacts/{id}/diff?against=`): `from` is the value in the
/// artifact `against` names, `to` in this one; `n` is not set.
public struct KconfigDiff: Codable, Sendable, Equatable {
    public struct Change: Codable, Sendable, Equatable {
        public var symbol: String
        public var from: String
        public var to: String
    }

    public var from: ArtifactRef
    public var to: ArtifactRef
    public var changes: [Change]

    public init(from: ArtifactRef, old: DotConfig, to: ArtifactRef, new: DotConfig) {
        self.from = from
        self.to = to
        changes = Set(old.values.keys).union(new.values.keys).sorted().compactMap { symbol in
            let (before, after) = (old.value(of: symbol), new.value(of: symbol))
            return before == after ? nil : Change(symbol: symbol, from: before, to: after)
        }
    }
}
