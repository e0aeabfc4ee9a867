-- Why a build failed: a build reason (compiler error, Kconfig verification;
-- never retried automatically) or an infrastructure reason (worker lost,
-- out of disk or memory, toolchain missing; retried on another worker).
ALTER TABLE builds
    ADD COLUMN failure_kind text CHECK (failure_kind IN ('build', 'infrastructure')),
    ADD COLUMN failure_reason text;

CREATE INDEX builds_leases ON builds (lease_expires_at) WHERE status = 'in_progress';

CREATE OR REPLACE VIEW build_view AS
SELECT b.id, b.build_number, b.status, b.progress, b.started_at, b.estimated_completion, b.completed_at,
       v.id AS version_id, v.version, c.id AS configuration_id, c.name AS configuration_name,
       u.id AS initiator_id, u.username AS initiator_username, b.architecture, b.environment, b.priority,
       b.options::text AS options, b.attempt, b.current_stage, b.retry_of, c.project_id,
       b.failure_kind, b.failure_reason
FROM builds b
JOIN configuration_versions v ON v.id = b.version_id
JOIN configurations c ON c.id = b.configuration_id
JOIN users u ON u.id = b.initiator_id;
