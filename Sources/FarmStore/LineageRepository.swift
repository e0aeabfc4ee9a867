import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Release engineers' questions about what ran where: a system's kernel
/// history, an artifact's lineage from configuration to the systems that
/// run it, and the resolved .config symbols two artifacts differ in.
public struct LineageRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// The system's switches, newest first.
    public func history(of systemID: UUID, page: PageRequest) async throws -> Page<KernelSwitch> {
        try await client.snapshot(logger: logger) { connection in
            let total = try await connection.query("""
                SELECT count(*) FROM system_kernel_history WHERE system_id = \(systemID)
                """, logger: logger).first { try $0.decode(Int.self) } ?? 0
            let items = try await connection.query("""
                SELECT h.action, h.slot, h.switched_at, a.id, a.name, a.kernel_release, d.id, d.status, u.id, u.username,
                       h.action = 'install' AND EXISTS (
                           SELECT 1 FROM system_kernel_history later
                           WHERE later.system_id = h.system_id AND later.deployment_id = h.deployment_id
                             AND later.action = 'rollback' AND later.id > h.id)
                FROM system_kernel_history h
                LEFT JOIN artifacts a ON a.id = h.artifact_id
                LEFT JOIN deployments d ON d.id = h.deployment_id
                LEFT JOIN users u ON u.id = d.authorizer_id
                WHERE h.system_id = \(systemID)
                ORDER BY h.switched_at DESC, h.id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, logger: logger).all { row -> KernelSwitch in
                let (action, slot, at, artifactID, artifactName, release, deploymentID, status, userID, username, rolledBack) =
                    try row.decode((String, String?, Date, UUID?, String?, String?, UUID?, String?, UUID?, String?, Bool).self)
                return KernelSwitch(
                    action: DeploymentOrder.Action(rawValue: action) ?? .install, slot: slot.flatMap(KernelSlot.init(rawValue:)),
                    switchedAt: at,
                    artifact: artifactID.flatMap { id in artifactName.map { ArtifactRef(id: id, name: $0) } },
                    kernelRelease: release,
                    deployment: deploymentID.flatMap { id in
                        status.flatMap(DeploymentStatus.init(rawValue:)).map { DeploymentRef(id: id, status: $0) }
                    },
                    authorizer: userID.flatMap { id in username.map { UserRef(id: id, username: $0) } },
                    rolledBack: rolledBack)
            }
            return Page(items: items, pagination: Pagination(total: total, request: page))
        }
    }

    /// The artifact's lineage; nil when there is no such artifact.
    public func lineage(of artifactID: UUID) async throws -> ArtifactLineage? {
        try await client.snapshot(logger: logger) { connection in
            guard let artifact = try await connection.query("SELECT * FROM artifact_view WHERE id = \(artifactID)", logger: logger)
                .first(ArtifactRepository.decode) else { return nil }
            let modules = try await ConfigurationRepository.modules(of: artifact.configVersion.id, on: connection, logger: logger)
            let deployments = try await connection.query("""
                SELECT d.id, d.status, d.created_at, u.id, u.username,
                       (SELECT count(*) FROM deployment_targets t WHERE t.deployment_id = d.id)
                FROM deployments d JOIN users u ON u.id = d.authorizer_id
                WHERE d.artifact_id = \(artifactID) ORDER BY d.created_at, d.id
                """, logger: logger).all { row -> ArtifactLineage.Deployment in
                let (id, status, createdAt, userID, username, targets) = try row.decode((UUID, String, Date, UUID, String, Int).self)
                return ArtifactLineage.Deployment(id: id, status: DeploymentStatus(rawValue: status) ?? .scheduled,
                                                  createdAt: createdAt, authorizer: UserRef(id: userID, username: username),
                                                  targets: targets)
            }
            let running = try await connection.query("""
                SELECT s.id, s.name, s.active_slot,
                       (SELECT max(h.switched_at) FROM system_kernel_history h
                        WHERE h.system_id = s.id AND h.artifact_id = s.current_artifact_id)
                FROM target_systems s WHERE s.current_artifact_id = \(artifactID) ORDER BY s.name
                """, logger: logger).all { row -> ArtifactLineage.RunningSystem in
                let (id, name, slot, since) = try row.decode((UUID, String, String?, Date?).self)
                return ArtifactLineage.RunningSystem(id: id, name: name, activeSlot: slot.flatMap(KernelSlot.init(rawValue:)),
                                                     since: since)
            }
            return ArtifactLineage(
                artifact: ArtifactRef(id: artifact.id, name: artifact.name), sha256: artifact.sha256,
                kernelRelease: artifact.kernelRelease, architecture: artifact.architecture, createdAt: artifact.createdAt,
                config: artifact.config, configVersion: artifact.configVersion, modules: modules, build: artifact.build,
                initiator: artifact.initiator, deployments: deployments, runningOn: running)
        }
    }

    /// The symbols the resolved .config of `artifactID` differs in from that of `againstID`.
    public func kconfigDiff(_ artifactID: UUID, against againstID: UUID) async throws -> KconfigDiff {
        try await client.snapshot(logger: logger) { connection in
            var found: [UUID: (ArtifactRef, String?)] = [:]
            for try await (id, name, kconfig) in try await connection.query("""
                SELECT id, name, kconfig FROM artifacts WHERE id = ANY(\([artifactID, againstID]))
                """, logger: logger).decode((UUID, String, String?).self) {
                found[id] = (ArtifactRef(id: id, name: name), kconfig)
            }
            var configs: [DotConfig] = []
            for id in [againstID, artifactID] {
                guard let (_, text) = found[id] else { throw StoreError.notFound(resource: "artifact", id: id.lowercased) }
                guard let text else {
                    throw StoreError.conflict("artifact \(id.lowercased) was recorded without its resolved .config",
                                              details: ["artifact": id.lowercased])
                }
                configs.append(DotConfig(text: text))
            }
            return KconfigDiff(from: found[againstID]!.0, old: configs[0], to: found[artifactID]!.0, new: configs[1])
        }
    }
}
