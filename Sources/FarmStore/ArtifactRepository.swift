import Crypto
import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Kernel artifacts: recorded when a worker has uploaded one (signed by the
/// farm in the same transaction), reused by later builds of the same inputs
/// (the build cache), listed and read by release engineers.
public struct ArtifactRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public typealias Signer = @Sendable (ArtifactProvenance) throws -> ProvenanceSignature

    public struct Filter: Sendable {
        public var configurationID: UUID?
        public var versionID: UUID?
        public var architecture: Architecture?
        public var buildID: UUID?
        public var kernelRelease: String?
        public var initiatorID: UUID?
        public var createdAfter: Date?
        public var createdBefore: Date?

        public init(configurationID: UUID? = nil, versionID: UUID? = nil, architecture: Architecture? = nil,
                    buildID: UUID? = nil, kernelRelease: String? = nil, initiatorID: UUID? = nil,
                    createdAfter: Date? = nil, createdBefore: Date? = nil) {
            self.configurationID = configurationID
            self.versionID = versionID
            self.architecture = architecture
            self.buildID = buildID
            self.kernelRelease = kernelRelease
            self.initiatorID = initiatorID
            self.createdAfter = createdAfter
            self.createdBefore = createdBefore
        }
    }

    /// Records the artifact the worker uploaded for the build attempt it
    /// holds, signed, and makes it the build's artifact. Reporting the same
    /// tarball again returns the recorded artifact; a different one is a conflict.
    public func record(_ upload: ArtifactUpload, build buildID: UUID, token tokenID: UUID, storageKey: String,
                       sign: Signer) async throws -> ArtifactRecord {
        try upload.validate(build: buildID)
        let id = try await client.transaction(logger: logger) { connection -> UUID in
            let project = try await WorkerRepository.lockHeld(buildID, upload.claim, token: tokenID, on: connection, logger: logger)
            let existing = try await connection.query("""
                SELECT id, sha256 FROM artifacts WHERE build_id = \(buildID)
                """, logger: logger).first { try $0.decode((UUID, String).self) }
            if let (existingID, sha256) = existing {
                guard sha256 == upload.sha256 else {
                    throw StoreError.conflict("the build already has an artifact with another sha256", details: ["sha256": sha256])
                }
                return existingID
            }
            let id = UUID()
            let origin = try await Self.origin(of: buildID, on: connection, logger: logger)
            let metadataJSON = try ArtifactProvenance.canonicalEncoder().encode(upload.metadata)
            let provenance = ArtifactProvenance(
                artifactId: id, name: upload.metadata.artifactName, sha256: upload.sha256, size: upload.size,
                architecture: origin.architecture, kernelRelease: upload.metadata.kernelRelease, build: origin.build,
                config: origin.config, configVersion: origin.version, initiator: origin.initiator,
                toolchain: upload.metadata.toolchain, compiler: upload.metadata.compiler, source: upload.metadata.source,
                externalModules: upload.metadata.externalModules, packages: upload.metadata.packages,
                metadataSha256: ContentHash.hex(SHA256.hash(data: metadataJSON)),
                signedAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            let signature = try sign(provenance)
            let statement = String(decoding: Data(base64Encoded: signature.statement) ?? Data(), as: UTF8.self)
            try await connection.query("""
                INSERT INTO artifacts (id, build_id, attempt, name, architecture, kernel_release, size, sha256, storage_key,
                                       input_key, plan_key, metadata, provenance, signature, signing_key_id, kconfig)
                VALUES (\(id), \(buildID), \(upload.attempt), \(provenance.name), \(origin.architecture.rawValue),
                        \(provenance.kernelRelease), \(upload.size), \(upload.sha256), \(storageKey), \(upload.inputKey),
                        \(upload.planKey),
                        \(String(decoding: metadataJSON, as: UTF8.self))::jsonb, \(statement), \(signature.value),
                        \(signature.keyId), \(upload.kconfig))
                """, logger: logger)
            try await connection.query("UPDATE builds SET artifact_id = \(id) WHERE id = \(buildID)", logger: logger)
            try await Audit.record("artifact.create", "artifact", id, project: project, by: nil,
                                   details: ["build": buildID.lowercased, "sha256": upload.sha256], on: connection, logger: logger)
            return id
        }
        return try await find(id: id)!
    }

    /// The build cache: when an artifact of the same inputs (either key),
    /// built in the same project, exists and the build did not ask for
    /// `noCache`, the build completes now with that artifact (initialization
    /// done, the other stages skipped, `cachedFrom` naming the build that
    /// produced it). Nil: build it. Another project's artifact is never
    /// reused: its members could not see it, and it would tell them that the
    /// other project built the same inputs.
    public func reuse(_ lookup: CacheLookup, build buildID: UUID, token tokenID: UUID) async throws -> ArtifactRecord? {
        try lookup.validate()
        let reused = try await client.transaction(logger: logger) { connection -> UUID? in
            let project = try await WorkerRepository.lockHeld(buildID, lookup.claim, token: tokenID, on: connection, logger: logger)
            let found = try await connection.query("""
                SELECT a.id, a.build_id FROM artifacts a, builds b
                WHERE b.id = \(buildID) AND NOT COALESCE((b.options->>'noCache')::boolean, false)
                  AND (a.input_key = \(lookup.inputKey) OR a.plan_key = \(lookup.inputKey)) AND a.architecture = b.architecture
                  AND a.build_id IN (SELECT p.id FROM builds p JOIN configurations c ON c.id = p.configuration_id
                                     WHERE c.project_id = \(project))
                ORDER BY a.created_at DESC LIMIT 1
                """, logger: logger).first { try $0.decode((UUID, UUID).self) }
            guard let (artifactID, producer) = found else { return nil }
            try await connection.query("""
                UPDATE builds SET status = \(to: BuildTransition.reuseFromCache), completed_at = now(), progress = 100,
                       current_stage = NULL, lease_expires_at = NULL, artifact_id = \(artifactID), cached_from = \(producer)
                WHERE id = \(buildID) AND status = ANY(\(from: BuildTransition.reuseFromCache))
                """, logger: logger)
            try await connection.query("""
                UPDATE build_stages SET
                    status = CASE WHEN name = 'initialization' THEN 'completed' ELSE 'skipped' END,
                    started_at = CASE WHEN name = 'initialization' THEN COALESCE(started_at, now()) ELSE started_at END,
                    completed_at = now()
                WHERE build_id = \(buildID) AND status IN ('pending', 'in_progress')
                """, logger: logger)
            try await Audit.record("build.complete", "build", buildID, project: project, by: nil,
                                   details: ["cachedFrom": producer.lowercased, "artifact": artifactID.lowercased],
                                   on: connection, logger: logger)
            return artifactID
        }
        guard let reused else { return nil }
        return try await find(id: reused)
    }

    /// Which of these blobs some artifact is stored as, or lists as one of
    /// its packages (the others may be swept).
    public func referenced(_ hashes: [String]) async throws -> Set<String> {
        Set(try await client.query("""
            SELECT sha256 FROM artifacts WHERE sha256 = ANY(\(hashes))
            UNION
            SELECT package->>'sha256' FROM artifacts, jsonb_path_query(metadata, '$.packages[*]') AS package
            WHERE package->>'sha256' = ANY(\(hashes))
            """, logger: logger).all { try $0.decode(String.self) })
    }

    public func find(id: UUID) async throws -> ArtifactRecord? {
        try await client.query("SELECT * FROM artifact_view WHERE id = \(id)", logger: logger).first(Self.decode)
    }

    /// The project an artifact belongs to, for authorization.
    public func project(ofArtifact id: UUID) async throws -> UUID? {
        try await client.query("SELECT project_id FROM artifact_view WHERE id = \(id)", logger: logger)
            .first { try $0.decode(UUID.self) }
    }

    /// One of an artifact's packages, read from its metadata in the
    /// database: a download needs its sha256 and size, not the whole record.
    public func package(_ name: String, of id: UUID) async throws -> ArtifactMetadata.Package? {
        try await client.query("""
            SELECT package->>'sha256', (package->>'size')::bigint FROM artifacts, jsonb_path_query(metadata, '$.packages[*]') AS package
            WHERE id = \(id) AND package->>'name' = \(name)
            """, logger: logger).first { row in
            let (sha256, size) = try row.decode((String, Int).self)
            return ArtifactMetadata.Package(name: name, size: size, sha256: sha256)
        }
    }

    /// Where an artifact's bytes are and how many there are.
    public func content(of id: UUID) async throws -> (name: String, sha256: String, size: Int, storageKey: String)? {
        try await client.query("SELECT name, sha256, size, storage_key FROM artifacts WHERE id = \(id)", logger: logger)
            .first { try $0.decode((String, String, Int, String).self) }
            .map { (name: $0.0, sha256: $0.1, size: $0.2, storageKey: $0.3) }
    }

    /// Artifacts in the projects `viewer` belongs to (all for a farm admin),
    /// newest first. `buildID` matches the build that produced an artifact
    /// and builds that reused it.
    public func list(_ filter: Filter, visibleTo viewer: User, page: PageRequest) async throws -> Page<ArtifactRecord> {
        let everything = viewer.role == .admin
        let arch = filter.architecture?.rawValue
        return try await client.snapshot(logger: logger) { connection in
            let (total, ids) = try await connection.query(.page(of: """
                SELECT a.id, a.created_at FROM artifact_view a
                WHERE (\(filter.configurationID)::uuid IS NULL OR a.configuration_id = \(filter.configurationID))
                  AND (\(filter.versionID)::uuid IS NULL OR a.version_id = \(filter.versionID))
                  AND (\(arch)::text IS NULL OR a.architecture = \(arch))
                  AND (\(filter.buildID)::uuid IS NULL OR a.build_id = \(filter.buildID)
                       OR a.id = (SELECT artifact_id FROM builds WHERE id = \(filter.buildID)))
                  AND (\(filter.kernelRelease)::text IS NULL OR a.kernel_release = \(filter.kernelRelease))
                  AND (\(filter.initiatorID)::uuid IS NULL OR a.initiator_id = \(filter.initiatorID))
                  AND (\(filter.createdAfter)::timestamptz IS NULL OR a.created_at >= \(filter.createdAfter))
                  AND (\(filter.createdBefore)::timestamptz IS NULL OR a.created_at < \(filter.createdBefore))
                  AND (\(everything) OR EXISTS (SELECT 1 FROM project_members m
                                               WHERE m.project_id = a.project_id AND m.user_id = \(viewer.id)))
                """, orderedBy: "created_at DESC, id", page), logger: logger).pageOfIDs()
            let items = try await connection.query("SELECT * FROM artifact_view WHERE id = ANY(\(ids))", logger: logger)
                .all(Self.decode).ordered(like: ids, by: \.id)
            return Page(items: items, pagination: Pagination(total: total, request: page))
        }
    }

    /// The build, configuration version and initiator an artifact is signed as coming from.
    private static func origin(of buildID: UUID, on connection: PostgresConnection, logger: Logger) async throws
        -> (build: BuildRef, config: ConfigurationRef, version: VersionRef, initiator: UserRef, architecture: Architecture) {
        let row = try await connection.query("""
            SELECT build_number, configuration_id, configuration_name, version_id, version, initiator_id, initiator_username,
                   architecture
            FROM build_view WHERE id = \(buildID)
            """, logger: logger).first { try $0.decode((String, UUID, String, UUID, String, UUID, String, String).self) }
        guard let (number, configID, configName, versionID, version, initiatorID, initiator, arch) = row,
              let architecture = Architecture(rawValue: arch) else {
            throw StoreError.notFound(resource: "build", id: buildID.lowercased)
        }
        return (BuildRef(id: buildID, buildNumber: number), ConfigurationRef(id: configID, name: configName),
                VersionRef(id: versionID, version: version), UserRef(id: initiatorID, username: initiator), architecture)
    }

    static func decode(_ row: PostgresRow) throws -> ArtifactRecord {
        let (id, name, arch, release, size, sha256, createdAt, buildID, buildNumber, configID, configName, versionID, version,
             initiatorID, initiator, metadata, provenance, signature, keyID, _, _) = try row.decode(
                (UUID, String, String, String, Int, String, Date, UUID, String, UUID, String, UUID, String, UUID, String,
                 String, String, String, String, UUID, String?).self)
        return ArtifactRecord(
            id: id, name: name, architecture: Architecture(rawValue: arch) ?? .x86_64, kernelRelease: release, size: size,
            sha256: sha256, createdAt: createdAt, build: BuildRef(id: buildID, buildNumber: buildNumber),
            config: ConfigurationRef(id: configID, name: configName), configVersion: VersionRef(id: versionID, version: version),
            initiator: UserRef(id: initiatorID, username: initiator),
            metadata: try JSONDecoder().decode(ArtifactMetadata.self, from: Data(metadata.utf8)),
            signature: ProvenanceSignature(keyId: keyID, statement: Data(provenance.utf8), value: Data(base64Encoded: signature) ?? Data()))
    }
}
