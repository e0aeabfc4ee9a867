import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Deployments at work: the scheduler starts due ones and fails targets
/// whose agent went silent; agents (system tokens) heartbeat, fetch their
/// order's artifact and report. Every change takes the deployment's row
/// lock and ends by advancing the rollout (`RolloutStep`) in the same
/// transaction, writing the orders it sends to the outbox — so several
/// server replicas can run schedulers side by side, and a crash loses no
/// order and sends none twice.
public struct RolloutRepository: Sendable {
    let client: PostgresClient
    let logger: Logger
    let doorbell: OutboxDoorbell

    /// Starts the deployments whose `scheduledFor` has come; returns their ids.
    @discardableResult
    public func startDue(limit: Int = 20) async throws -> [UUID] {
        try await client.transaction(logger: logger, ringing: doorbell) { connection in
            let due = try await connection.query("""
                SELECT id, project_id FROM deployments WHERE status = 'scheduled' AND scheduled_for <= now()
                ORDER BY scheduled_for, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: logger).all { try $0.decode((UUID, UUID).self) }
            for (id, projectID) in due {
                try await connection.query("""
                    UPDATE deployments SET status = 'in_progress', started_at = now(),
                           estimated_completion = now() + (estimated_completion - scheduled_for)
                    WHERE id = \(id)
                    """, logger: logger)
                try await Audit.record("deployment.start", "deployment", id, project: projectID, by: nil,
                                       on: connection, logger: logger)
                try await advance(id, on: connection)
            }
            return due.map(\.0)
        }
    }

    /// Fails installing (or rolling back) targets whose agent has not been
    /// heard from for `silence`, then advances their deployments.
    @discardableResult
    public func failSilentTargets(after silence: TimeInterval) async throws -> Int {
        try await client.transaction(logger: logger, ringing: doorbell) { connection in
            let silent = try await connection.query("""
                SELECT t.deployment_id, t.system_id, t.status FROM deployment_targets t
                JOIN target_systems s ON s.id = t.system_id
                WHERE (t.status = ANY(\(from: DeploymentTargetTransition.failInstall))
                       OR (t.status = ANY(\(from: DeploymentTargetTransition.failRollback))
                           AND t.rollback_requested_at IS NOT NULL))
                  AND COALESCE(t.rollback_requested_at, t.started_at) < now() - make_interval(secs => \(silence))
                  AND (s.last_seen_at IS NULL OR s.last_seen_at < now() - make_interval(secs => \(silence)))
                ORDER BY t.deployment_id FOR UPDATE OF t SKIP LOCKED
                """, logger: logger).all { try $0.decode((UUID, UUID, String).self) }
            for (deploymentID, systemID, status) in silent {
                let installing = DeploymentTargetTransition.failInstall.from.map(\.rawValue).contains(status)
                let failure: DeploymentTargetTransition = installing ? .failInstall : .failRollback
                let what = installing ? "the install" : "the rollback"
                try await connection.query("""
                    UPDATE deployment_targets SET status = \(to: failure), completed_at = now(),
                           result = \("the agent stopped reporting during \(what) (silent for over \(Int(silence)) s)")
                    WHERE deployment_id = \(deploymentID) AND system_id = \(systemID) AND status = ANY(\(from: failure))
                    """, logger: logger)
            }
            for deploymentID in Set(silent.map(\.0)) { try await advance(deploymentID, on: connection) }
            return silent.count
        }
    }

    /// Records an agent's sign of life; the first one binds the system to the token.
    public func heartbeat(_ systemID: UUID, _ heartbeat: AgentHeartbeat, token: UUID) async throws {
        try await client.transaction(logger: logger) { connection in
            try await bindAgent(systemID, token: token, on: connection)
            try await connection.query("""
                UPDATE target_systems SET last_seen_at = now(), active_slot = \(heartbeat.activeSlot?.rawValue)
                WHERE id = \(systemID)
                """, logger: logger)
        }
    }

    /// What an agent downloads for its order: the deployment's artifact, if the system is one of its targets.
    public func artifact(for systemID: UUID, deployment deploymentID: UUID, token: UUID) async throws
        -> (name: String, sha256: String, size: Int) {
        try await client.transaction(logger: logger) { connection in
            try await bindAgent(systemID, token: token, on: connection)
            let found = try await connection.query("""
                SELECT a.name, a.sha256, a.size FROM deployment_targets t
                JOIN deployments d ON d.id = t.deployment_id JOIN artifacts a ON a.id = d.artifact_id
                WHERE t.deployment_id = \(deploymentID) AND t.system_id = \(systemID)
                """, logger: logger).first { try $0.decode((String, String, Int).self) }
            guard let (name, sha256, size) = found else {
                throw StoreError.notFound(resource: "deployment", id: deploymentID.lowercased)
            }
            return (name, sha256, size)
        }
    }

    /// Takes an agent's report on its order. `started` is answered with a
    /// conflict when the order no longer stands (the target was failed or
    /// cancelled meanwhile); an end already recorded is answered with the
    /// target as it is, so a redelivered order's report changes nothing.
    public func report(_ report: AgentReport, system systemID: UUID, deployment deploymentID: UUID, token: UUID)
        async throws -> DeploymentRecord.Target {
        try report.validate()
        return try await client.transaction(logger: logger, ringing: doorbell) { connection in
            try await bindAgent(systemID, token: token, on: connection)
            let found = try await connection.query("""
                SELECT t.status, t.rollback_requested_at IS NOT NULL, d.artifact_id, d.project_id, t.result
                FROM deployments d JOIN deployment_targets t ON t.deployment_id = d.id
                WHERE d.id = \(deploymentID) AND t.system_id = \(systemID)
                FOR UPDATE OF d, t
                """, logger: logger).first { try $0.decode((String, Bool, UUID, UUID, String?).self) }
            guard let (statusText, rollbackRequested, artifactID, projectID, previousResult) = found,
                  let status = DeploymentTargetStatus(rawValue: statusText) else {
                throw StoreError.notFound(resource: "deployment", id: deploymentID.lowercased)
            }
            let (transition, result): (DeploymentTargetTransition, String) = switch (report.action, report.phase) {
            case (.install, .succeeded): (.complete, "success")
            case (.install, _): (.failInstall, report.message ?? "the install failed")
            case (.rollback, .succeeded): (.rollBack, "\(previousResult ?? "success"), then rolled back"
                                               + (report.message.map { ": \($0)" } ?? ""))
            case (.rollback, _): (.failRollback, "rollback failed: \(report.message ?? "no reason given")")
            }
            // The order stands where its transition starts (a started report takes none yet); a rollback's, only
            // once the rollout asked for it.
            let open = transition.from.contains(status) && (report.action == .install || rollbackRequested)
            guard open else {
                if report.phase == .started {
                    throw StoreError.conflict("the order no longer stands: this target is \(status.rawValue)",
                                              details: ["status": status.rawValue])
                }
                return try await target(deploymentID, systemID, on: connection)
            }
            guard report.phase != .started else { return try await target(deploymentID, systemID, on: connection) }
            for change in report.switches {
                try await recordSwitch(change, system: systemID, deployment: deploymentID, artifact: artifactID,
                                       on: connection)
            }
            try await connection.query("""
                UPDATE deployment_targets SET status = \(to: transition), completed_at = now(), result = \(result)
                WHERE deployment_id = \(deploymentID) AND system_id = \(systemID) AND status = ANY(\(from: transition))
                """, logger: logger)
            try await Audit.record("deployment.target.\(report.action.rawValue)", "deployment", deploymentID,
                                   project: projectID, by: nil,
                                   details: ["system": systemID.lowercased, "status": transition.to.rawValue],
                                   on: connection, logger: logger)
            try await advance(deploymentID, on: connection)
            return try await target(deploymentID, systemID, on: connection)
        }
    }

    /// One switch of the system's `current` link: its kernel history row, and
    /// what the system runs now. A rollback returns to what the slot held
    /// last: nothing the farm built, if the farm never installed there or
    /// the rollback leaves no slot active.
    private func recordSwitch(_ change: AgentReport.Switch, system systemID: UUID, deployment deploymentID: UUID,
                              artifact artifactID: UUID, on connection: PostgresConnection) async throws {
        let running: UUID? = switch change.action {
        case .install: artifactID
        case .rollback: try await connection.query("""
                SELECT artifact_id FROM system_kernel_history WHERE system_id = \(systemID) AND slot = \(change.slot?.rawValue)
                ORDER BY switched_at DESC, id DESC LIMIT 1
                """, logger: logger).first { try $0.decode(UUID?.self) } ?? nil
        }
        try await connection.query("""
            INSERT INTO system_kernel_history (system_id, artifact_id, deployment_id, action, slot, switched_at)
            VALUES (\(systemID), \(running), \(deploymentID), \(change.action.rawValue), \(change.slot?.rawValue), \(change.at))
            """, logger: logger)
        try await connection.query("""
            UPDATE target_systems SET current_artifact_id = \(running), active_slot = \(change.slot?.rawValue)
            WHERE id = \(systemID)
            """, logger: logger)
    }

    /// Checks the system token may speak for the system: its user is a
    /// release manager of the system's project (or a farm admin), and the
    /// system is bound to this token (the first report binds it). Anything
    /// else is a 404, as for systems of other projects, or a conflict.
    private func bindAgent(_ systemID: UUID, token: UUID, on connection: PostgresConnection) async throws {
        let found = try await connection.query("""
            SELECT s.agent_token_id,
                   u.role = 'admin' OR EXISTS (SELECT 1 FROM project_members m
                                               WHERE m.project_id = s.project_id AND m.user_id = u.id
                                                 AND m.role IN ('release_manager', 'admin'))
            FROM target_systems s, api_tokens k JOIN users u ON u.id = k.user_id
            WHERE s.id = \(systemID) AND k.id = \(token)
            FOR UPDATE OF s
            """, logger: logger).first { try $0.decode((UUID?, Bool).self) }
        guard let (bound, allowed) = found, allowed else {
            throw StoreError.notFound(resource: "targetSystem", id: systemID.lowercased)
        }
        switch bound {
        case token:
            return
        case nil:
            try await connection.query("UPDATE target_systems SET agent_token_id = \(token) WHERE id = \(systemID)",
                                       logger: logger)
        default:
            throw StoreError.conflict("this system's agent reports with another system token",
                                      details: ["system": systemID.lowercased])
        }
    }

    /// Takes the rollout's next step (see `RolloutStep`): orders out, halted targets cancelled, the end recorded.
    func advance(_ deploymentID: UUID, on connection: PostgresConnection) async throws {
        let found = try await connection.query("""
            SELECT d.status, d.options::text, d.project_id, d.artifact_id, a.name, a.sha256, a.size, a.kernel_release,
                   a.provenance, a.signature, a.signing_key_id
            FROM deployments d JOIN artifacts a ON a.id = d.artifact_id WHERE d.id = \(deploymentID) FOR UPDATE OF d
            """, logger: logger).first {
            try $0.decode((String, String, UUID, UUID, String, String, Int, String, String, String, String).self)
        }
        guard let (status, optionsText, projectID, artifactID, name, sha256, size, release, statement, signature, keyID) = found,
              status == DeploymentStatus.in_progress.rawValue else { return }
        let options = try JSONDecoder().decode(DeploymentOptions.self, from: Data(optionsText.utf8))
        let targets = try await connection.query("""
            SELECT system_id, status, rollback_requested_at IS NOT NULL FROM deployment_targets
            WHERE deployment_id = \(deploymentID) ORDER BY position
            """, logger: logger).all { row -> RolloutTarget in
            let (systemID, status, rollbackRequested) = try row.decode((UUID, String, Bool).self)
            return RolloutTarget(systemID: systemID, status: DeploymentTargetStatus(rawValue: status) ?? .pending,
                                 rollbackRequested: rollbackRequested)
        }
        let step = RolloutStep.next(options, targets)
        if !step.cancel.isEmpty {
            try await connection.query("""
                UPDATE deployment_targets SET status = \(to: DeploymentTargetTransition.cancel), completed_at = now(),
                       result = \(step.haltReason)
                WHERE deployment_id = \(deploymentID) AND system_id = ANY(\(step.cancel))
                  AND status = ANY(\(from: DeploymentTargetTransition.cancel))
                """, logger: logger)
        }
        if !step.start.isEmpty {
            try await connection.query("""
                UPDATE deployment_targets SET status = \(to: DeploymentTargetTransition.start), started_at = now()
                WHERE deployment_id = \(deploymentID) AND system_id = ANY(\(step.start))
                  AND status = ANY(\(from: DeploymentTargetTransition.start))
                """, logger: logger)
        }
        if !step.rollBack.isEmpty {
            try await connection.query("""
                UPDATE deployment_targets SET rollback_requested_at = now()
                WHERE deployment_id = \(deploymentID) AND system_id = ANY(\(step.rollBack))
                """, logger: logger)
        }
        let orders = step.start.map { ($0, DeploymentOrder.Action.install) } + step.rollBack.map { ($0, .rollback) }
        for (systemID, action) in orders {
            let order = DeploymentOrder(
                deploymentId: deploymentID, systemId: systemID, action: action, artifact: ArtifactRef(id: artifactID, name: name),
                sha256: sha256, size: size, kernelRelease: release,
                signature: ProvenanceSignature(keyId: keyID, statement: Data(statement.utf8),
                                               value: Data(base64Encoded: signature) ?? Data()),
                forceReboot: options.forceReboot)
            try await Outbox.enqueue(order, on: connection, logger: logger)
        }
        if let finish = step.finish {
            try await connection.query("""
                UPDATE deployments SET status = \(finish.rawValue), completed_at = now() WHERE id = \(deploymentID)
                """, logger: logger)
            try await Audit.record("deployment.\(finish.rawValue)", "deployment", deploymentID, project: projectID, by: nil,
                                   on: connection, logger: logger)
        }
    }

    private func target(_ deploymentID: UUID, _ systemID: UUID, on connection: PostgresConnection) async throws
        -> DeploymentRecord.Target {
        let deployment = try await DeploymentRepository.records([deploymentID], on: connection, logger: logger).first
        guard let target = deployment?.targetSystems.first(where: { $0.id == systemID }) else {
            throw StoreError.notFound(resource: "deployment", id: deploymentID.lowercased)
        }
        return target
    }
}
