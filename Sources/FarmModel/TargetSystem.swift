import Foundation

/// A machine kernels are deployed to (`POST /systems`): it belongs to a
/// project, runs kernels of one architecture, and carries labels to select
/// it by. Its agent (`kfarm agent`, with a system token) reports in.
public struct NewTargetSystem: Decodable, Sendable {
    public var name: String
    public var architecture: String
    public var projectId: UUID
    public var labels: [String: String]?

    public init(name: String, architecture: Architecture, projectId: UUID, labels: [String: String]? = nil) {
        self.name = name
        self.architecture = architecture.rawValue
        self.projectId = projectId
        self.labels = labels
    }

    /// The architecture; call after `validate()`.
    public var validArchitecture: Architecture { Architecture(rawValue: architecture) ?? .x86_64 }

    public func validate() throws(ValidationError) {
        var validator = Validator()
        validator.check("name", name, NewBuild.environmentRule)
        if Architecture(rawValue: architecture) == nil {
            validator.fail("architecture", "must be one of: \(Architecture.allowedValues.joined(separator: ", "))")
        }
        let labels = labels ?? [:]
        if labels.count > 32 { validator.fail("labels", "must have at most 32 labels") }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            validator.check("labels", key, Self.labelKeyRule)
            validator.check("labels.\(key)", value, Self.labelValueRule)
        }
        try validator.finish()
    }

    public static let labelValueRule = FieldRule.text(maxLength: 128, allowEmpty: true)

    /// `rack`, `env`, `kfarm.io/tier`: what selectors match on.
    public static let labelKeyRule = FieldRule { key in
        let valid = (1...63).contains(key.count)
            && key.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "._/-".unicodeScalars.contains($0) }
        return valid ? nil : "keys must be 1 to 63 letters, digits, '.', '_', '/' or '-'"
    }
}

/// A target system as `GET /systems` shows it. `status` is derived from the
/// agent's last report: `online` within the offline threshold, `offline`
/// after it, `unknown` before its agent has ever reported.
public struct TargetSystem: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case online, offline, unknown
    }

    @LowercaseUUID public var id: UUID
    public var name: String
    public var architecture: Architecture
    public var project: ProjectRef
    public var labels: [String: String]
    public var status: Status
    /// The artifact its active slot runs, null before the first deployment.
    @ExplicitNull public var currentArtifact: ArtifactRef?
    /// `a` or `b`: the slot `current` points at; null before the first deployment.
    @ExplicitNull public var activeSlot: String?
    @ExplicitNull public var lastSeenAt: Date?
    public var createdAt: Date

    public init(id: UUID, name: String, architecture: Architecture, project: ProjectRef, labels: [String: String],
                status: Status, currentArtifact: ArtifactRef?, activeSlot: String?, lastSeenAt: Date?, createdAt: Date) {
        self.id = id
        self.name = name
        self.architecture = architecture
        self.project = project
        self.labels = labels
        self.status = status
        self.currentArtifact = currentArtifact
        self.activeSlot = activeSlot
        self.lastSeenAt = lastSeenAt
        self.createdAt = createdAt
    }
}

/// An artifact inside other objects (the seed's `buildArtifact`).
public struct ArtifactRef: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var name: String

    public init(id: UUID, name: String) {
        self.id = id
        self.name = name
    }
}
