import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Kernel configurations, their versions and modules. Every write is one
/// transaction that first locks the configuration row, so concurrent
/// writers to one configuration take turns instead of racing.
public struct ConfigurationRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public struct Filter: Sendable {
        public var projectID: UUID?
        public var architecture: Architecture?

        public init(projectID: UUID? = nil, architecture: Architecture? = nil) {
            self.projectID = projectID
            self.architecture = architecture
        }
    }

    /// Configurations in the projects `viewer` belongs to (all for a farm admin), newest first.
    public func list(_ filter: Filter, visibleTo viewer: User, page: PageRequest) async throws -> Page<Configuration> {
        let everything = viewer.role == .admin
        let arch = filter.architecture?.rawValue
        let (total, ids) = try await client.query(.page(of: """
            SELECT c.id, c.created_at FROM configurations c
            WHERE (\(filter.projectID)::uuid IS NULL OR c.project_id = \(filter.projectID))
              AND (\(arch)::text IS NULL OR c.architecture = \(arch))
              AND (\(everything) OR EXISTS (SELECT 1 FROM project_members m
                                           WHERE m.project_id = c.project_id AND m.user_id = \(viewer.id)))
            """, orderedBy: "created_at DESC, id", page), logger: logger).pageOfIDs()
        let configurations = try await client.query("SELECT * FROM configuration_view WHERE id = ANY(\(ids))", logger: logger)
            .all { try $0.decodeConfiguration() }
        return Page(items: configurations.ordered(like: ids, by: \.id), pagination: Pagination(total: total, request: page))
    }

    public func find(id: UUID) async throws -> Configuration? {
        try await client.query("SELECT * FROM configuration_view WHERE id = \(id)", logger: logger)
            .first { try $0.decodeConfiguration() }
    }

    /// The configuration, all its versions, and the latest version's modules.
    public func detail(id: UUID) async throws -> ConfigurationDetail {
        try await client.withConnection { connection in
            try await Self.detail(id: id, on: connection, logger: logger)
        }
    }

    /// Creates the configuration with version 1.0.0 holding the modules.
    public func create(_ request: NewConfiguration, creator: UUID) async throws -> ConfigurationDetail {
        try request.validate()
        let id = UUID()
        let description = request.description ?? ""
        return try await translatingConflicts(
            unique: "a configuration with this name exists in the project", details: ["name": request.name]
        ) {
            try await client.transaction(logger: logger) { connection in
                try await connection.query("""
                    INSERT INTO configurations (id, project_id, name, description, base_version, architecture, created_by,
                                                base_config, stored_config, source_git, source_ref, external_modules)
                    VALUES (\(id), \(request.projectId), \(request.name), \(description), \(request.baseVersion),
                            \(request.validArchitecture.rawValue), \(creator), \(request.validBaseConfig.rawValue),
                            \(request.storedConfig), \(request.source?.git), \(request.source?.ref),
                            \(try Self.json(request.externalModules ?? []))::jsonb)
                    """, logger: logger)
                let versionID = try await Self.insertVersion(.initial, of: id, by: creator, on: connection, logger: logger)
                try await Self.insertModules(request.modules ?? [], into: versionID, baseVersion: request.baseVersion,
                                             on: connection, logger: logger)
                try await Audit.record("configuration.create", "configuration", id, project: request.projectId, by: creator,
                                       details: ["name": request.name, "version": SemanticVersion.initial.description],
                                       on: connection, logger: logger)
                return try await Self.detail(id: id, on: connection, logger: logger)
            }
        }
    }

    /// Adds a version: the given number or the next minor one, with the given
    /// modules or a copy of the latest version's.
    public func createVersion(
        _ request: NewConfigurationVersion, of configurationID: UUID, by creator: UUID
    ) async throws -> ConfigurationVersionDetail {
        try request.validate()
        return try await translatingConflicts(unique: "this version exists", details: ["version": request.version ?? ""]) {
            try await client.transaction(logger: logger) { connection in
                let baseVersion = try await Self.lockConfiguration(configurationID, on: connection, logger: logger)
                let latest = try await Self.latestVersion(of: configurationID, on: connection, logger: logger)
                let number: SemanticVersion
                if let requested = request.version.flatMap(SemanticVersion.init) {
                    // Versions only move forward: an equal or older number conflicts with what exists.
                    if requested <= latest.number {
                        throw StoreError.conflict(
                            "version must be greater than the latest version \(latest.number)",
                            details: ["version": requested.description, "latestVersion": latest.number.description])
                    }
                    number = requested
                } else {
                    number = latest.number.nextMinor()
                }
                let versionID = try await Self.insertVersion(number, of: configurationID, by: creator, on: connection, logger: logger)
                if let modules = request.modules {
                    try await Self.insertModules(modules, into: versionID, baseVersion: baseVersion, on: connection, logger: logger)
                } else {
                    try await connection.query("""
                        INSERT INTO config_modules (id, version_id, position, name, path, is_builtin, is_required, parameters)
                        SELECT gen_random_uuid(), \(versionID), position, name, path, is_builtin, is_required, parameters
                        FROM config_modules WHERE version_id = \(latest.id)
                        """, logger: logger)
                }
                try await Self.touch(configurationID, on: connection, logger: logger)
                try await Self.audit("configuration.version.create", configurationID, by: creator,
                                     details: ["version": number.description, "versionId": versionID.lowercased],
                                     on: connection, logger: logger)
                return try await Self.versionDetail(versionID, of: configurationID, on: connection, logger: logger)
            }
        }
    }

    /// Changes metadata, the base kernel version (only while no version is
    /// locked) or the latest version's modules (only while it is unlocked).
    public func update(
        _ changes: ConfigurationChanges, of configurationID: UUID, by actor: Actor
    ) async throws -> ConfigurationDetail {
        try changes.validate()
        return try await translatingConflicts(
            unique: "a configuration with this name exists in the project", details: ["name": changes.name ?? ""]
        ) {
            try await client.transaction(logger: logger) { connection in
                let baseVersion = try await Self.lockConfiguration(configurationID, on: connection, logger: logger)
                if changes.baseVersion != nil || changes.changesBase || changes.changesSources {
                    let locked = try await connection.query("""
                        SELECT version FROM configuration_versions WHERE configuration_id = \(configurationID) AND is_locked
                        ORDER BY major, minor, patch
                        """, logger: logger).all { try $0.decode(String.self) }
                    if !locked.isEmpty {
                        throw StoreError.conflict(
                            "baseVersion, baseConfig, source and externalModules cannot change while versions are locked; create a new configuration",
                            details: ["lockedVersions": locked.joined(separator: ", ")])
                    }
                }
                if let modules = changes.modules {
                    let latest = try await Self.latestVersion(of: configurationID, on: connection, logger: logger)
                    if latest.isLocked {
                        throw StoreError.conflict(
                            "the latest version is locked; create a new version to change modules",
                            details: ["version": latest.number.description, "versionId": latest.id.lowercased])
                    }
                    try await connection.query("DELETE FROM config_modules WHERE version_id = \(latest.id)", logger: logger)
                    try await Self.insertModules(modules, into: latest.id, baseVersion: changes.baseVersion ?? baseVersion,
                                                 on: connection, logger: logger)
                }
                try await connection.query("""
                    UPDATE configurations SET
                        name = COALESCE(\(changes.name), name),
                        description = COALESCE(\(changes.description), description),
                        base_version = COALESCE(\(changes.baseVersion), base_version),
                        base_config = COALESCE(\(changes.baseConfig), base_config),
                        stored_config = CASE WHEN \(changes.baseConfig)::text IS NULL THEN stored_config
                                             ELSE \(changes.storedConfig) END,
                        source_git = COALESCE(\(changes.source?.git), source_git),
                        source_ref = COALESCE(\(changes.source?.ref), source_ref),
                        external_modules = COALESCE(\(try changes.externalModules.map(Self.json))::jsonb, external_modules),
                        updated_at = now()
                    WHERE id = \(configurationID)
                    """, logger: logger)
                try await Self.audit("configuration.update", configurationID, by: actor,
                                     details: changes.auditDetails, on: connection, logger: logger)
                return try await Self.detail(id: configurationID, on: connection, logger: logger)
            }
        }
    }

    public func version(_ versionID: UUID, of configurationID: UUID) async throws -> ConfigurationVersionDetail {
        try await client.withConnection { connection in
            try await Self.versionDetail(versionID, of: configurationID, on: connection, logger: logger)
        }
    }

    /// Freezes a version; locking a locked version changes nothing.
    public func lock(_ versionID: UUID, of configurationID: UUID, by actor: Actor) async throws -> ConfigurationVersionDetail {
        try await client.transaction(logger: logger) { connection in
            let locked = try await connection.query("""
                UPDATE configuration_versions SET is_locked = true, locked_at = now()
                WHERE id = \(versionID) AND configuration_id = \(configurationID) AND NOT is_locked
                RETURNING version
                """, logger: logger).first { try $0.decode(String.self) }
            if let locked {
                try await Self.audit("configuration.version.lock", configurationID, by: actor,
                                     details: ["version": locked, "versionId": versionID.lowercased],
                                     on: connection, logger: logger)
            }
            return try await Self.versionDetail(versionID, of: configurationID, on: connection, logger: logger)
        }
    }

    // MARK: - Pieces shared by the operations above

    private static func json(_ modules: [ExternalModule]) throws -> String {
        String(decoding: try JSONEncoder().encode(modules), as: UTF8.self)
    }

    private struct LatestVersion {
        var id: UUID
        var number: SemanticVersion
        var isLocked: Bool
    }

    /// Locks the configuration's row; returns its base kernel version.
    private static func lockConfiguration(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let baseVersion = try await connection.query(
            "SELECT base_version FROM configurations WHERE id = \(id) FOR UPDATE", logger: logger
        ).first { try $0.decode(String.self) }
        guard let baseVersion else { throw StoreError.notFound(resource: "configuration", id: id.lowercased) }
        return baseVersion
    }

    private static func latestVersion(
        of configurationID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> LatestVersion {
        let latest = try await connection.query("""
            SELECT id, major, minor, patch, is_locked FROM configuration_versions
            WHERE configuration_id = \(configurationID)
            ORDER BY major DESC, minor DESC, patch DESC LIMIT 1
            """, logger: logger).first { row in
            let (id, major, minor, patch, isLocked) = try row.decode((UUID, Int, Int, Int, Bool).self)
            return LatestVersion(id: id, number: SemanticVersion(major: major, minor: minor, patch: patch), isLocked: isLocked)
        }
        guard let latest else { throw StoreError.notFound(resource: "configuration", id: configurationID.lowercased) }
        return latest
    }

    private static func insertVersion(
        _ number: SemanticVersion, of configurationID: UUID, by creator: UUID,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> UUID {
        let id = UUID()
        try await connection.query("""
            INSERT INTO configuration_versions (id, configuration_id, version, major, minor, patch, created_by)
            VALUES (\(id), \(configurationID), \(number.description), \(number.major), \(number.minor), \(number.patch), \(creator))
            """, logger: logger)
        return id
    }

    /// Inserts the modules as the catalog of `baseVersion`'s series resolves them (ModuleResolution).
    private static func insertModules(
        _ modules: [ModuleSpec], into versionID: UUID, baseVersion: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let resolved = try await KernelCatalogRepository.resolve(
            modules, field: "modules", series: KernelSeries.of(baseVersion), on: connection, logger: logger)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for (position, module) in resolved.enumerated() {
            let parameters = String(decoding: try encoder.encode(module.parameters), as: UTF8.self)
            try await connection.query("""
                INSERT INTO config_modules (id, version_id, position, name, path, is_builtin, is_required, parameters)
                VALUES (\(UUID()), \(versionID), \(position), \(module.name), \(module.path), \(module.isBuiltin),
                        \(module.isRequired), \(parameters)::jsonb)
                """, logger: logger)
        }
    }

    /// Audits a change to a configuration, filed under its project.
    private static func audit(
        _ action: String, _ configurationID: UUID, by actor: Actor, details: [String: String],
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let project = try await connection.query(
            "SELECT project_id FROM configurations WHERE id = \(configurationID)", logger: logger
        ).first { try $0.decode(UUID.self) }
        try await Audit.record(action, "configuration", configurationID, project: project, by: actor,
                               details: details, on: connection, logger: logger)
    }

    private static func touch(_ configurationID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE configurations SET updated_at = now() WHERE id = \(configurationID)", logger: logger)
    }

    static func modules(of versionID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [ConfigModule] {
        try await connection.query("""
            SELECT id, name, path, is_builtin, is_required, parameters::text FROM config_modules
            WHERE version_id = \(versionID) ORDER BY position
            """, logger: logger).all { try $0.decodeModule() }
    }

    private static func detail(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> ConfigurationDetail {
        let configuration = try await connection.query("SELECT * FROM configuration_view WHERE id = \(id)", logger: logger)
            .first { try $0.decodeConfiguration() }
        guard let configuration else { throw StoreError.notFound(resource: "configuration", id: id.lowercased) }
        let versions = try await connection.query("""
            SELECT id, version, created_at, is_locked, locked_at FROM configuration_versions
            WHERE configuration_id = \(id) ORDER BY major, minor, patch
            """, logger: logger).all { try $0.decodeVersion() }
        var modules: [ConfigModule] = []
        if let latest = versions.last {
            modules = try await Self.modules(of: latest.id, on: connection, logger: logger)
        }
        return ConfigurationDetail(configuration: configuration, versions: versions, modules: modules)
    }

    private static func versionDetail(
        _ versionID: UUID, of configurationID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> ConfigurationVersionDetail {
        let version = try await connection.query("""
            SELECT id, version, created_at, is_locked, locked_at FROM configuration_versions
            WHERE id = \(versionID) AND configuration_id = \(configurationID)
            """, logger: logger).first { try $0.decodeVersion() }
        guard let version else { throw StoreError.notFound(resource: "configurationVersion", id: versionID.lowercased) }
        let modules = try await Self.modules(of: versionID, on: connection, logger: logger)
        return ConfigurationVersionDetail(version: version, configurationId: configurationID, modules: modules)
    }
}
