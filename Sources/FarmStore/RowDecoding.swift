import FarmModel
import Foundation
import PostgresNIO

/// Turns the farm's views' rows into FarmModel values. Each view's column
/// order is defined once, in its migration.
extension PostgresRow {
    func decodeUser() throws -> User {
        let (id, username, role, createdAt) = try decode((UUID, String, String, Date).self)
        return User(id: id, username: username, role: role, createdAt: createdAt)
    }

    func decodeProject() throws -> Project {
        let (id, name, description, createdAt, updatedAt, creatorID, creatorName) =
            try decode((UUID, String, String, Date, Date, UUID, String).self)
        return Project(id: id, name: name, description: description, createdAt: createdAt, updatedAt: updatedAt,
                       creator: UserRef(id: creatorID, username: creatorName))
    }

    func decodeConfiguration() throws -> Configuration {
        let (id, name, description, baseVersion, architecture, createdAt, updatedAt,
             creatorID, creatorName, projectID, projectName, baseConfig, storedSha256, sourceGit, sourceRef, externalModules) =
            try decode((UUID, String, String, String, String, Date, Date, UUID, String, UUID, String, String, String?,
                        String?, String?, String).self)
        guard let arch = Architecture(rawValue: architecture) else {
            throw StoreError.unavailable("configuration \(id) has unknown architecture \(architecture)")
        }
        return Configuration(
            id: id, name: name, description: description, baseVersion: baseVersion, architecture: arch,
            createdAt: createdAt, updatedAt: updatedAt,
            creator: UserRef(id: creatorID, username: creatorName),
            project: ProjectRef(id: projectID, name: projectName),
            baseConfig: BaseConfig(rawValue: baseConfig) ?? .tinyconfig, storedConfigSha256: storedSha256,
            source: GitSource(git: sourceGit, ref: sourceRef),
            externalModules: try JSONDecoder().decode([ExternalModule].self, from: Data(externalModules.utf8)))
    }

    func decodeVersion() throws -> ConfigurationVersion {
        let (id, version, createdAt, isLocked, lockedAt) = try decode((UUID, String, Date, Bool, Date?).self)
        return ConfigurationVersion(id: id, version: version, createdAt: createdAt, isLocked: isLocked, lockedAt: lockedAt)
    }

    func decodeModule() throws -> ConfigModule {
        let (id, name, path, isBuiltin, isRequired, parameters) =
            try decode((UUID, String, String?, Bool, Bool, String).self)
        let decoded = try JSONDecoder().decode([String: ModuleParameter].self, from: Data(parameters.utf8))
        return ConfigModule(id: id, name: name, path: path, isBuiltin: isBuiltin, isRequired: isRequired,
                            parameters: decoded)
    }
}

extension AsyncSequence where Element == PostgresRow {
    func first<T>(_ transform: (PostgresRow) throws -> T) async throws -> T? {
        for try await row in self { return try transform(row) }
        return nil
    }

    func all<T>(_ transform: (PostgresRow) throws -> T) async throws -> [T] {
        var items: [T] = []
        for try await row in self { items.append(try transform(row)) }
        return items
    }
}

extension Array {
    /// The elements in the order of `ids` (rows fetched by `id = ANY(...)` come back unordered).
    func ordered(like ids: [UUID], by id: KeyPath<Element, UUID>) -> [Element] {
        let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        return sorted { (position[$0[keyPath: id]] ?? .max) < (position[$1[keyPath: id]] ?? .max) }
    }
}

extension User {
    /// A user from its row; an unknown role text degrades to the least privileged role.
    init(id: UUID, username: String, role: String, createdAt: Date) {
        self.init(id: id, username: username, role: AccountRole(rawValue: role) ?? .member, createdAt: createdAt)
    }
}
