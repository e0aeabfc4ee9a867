-- GET /builds/{id} shows builds.toolchain: which toolchain the build was routed to.
CREATE OR REPLACE VIEW build_view AS
SELECT b.id, b.build_number, b.status, b.progress, b.started_at, b.estimated_completion, b.completed_at,
       v.id AS version_id, v.version, c.id AS configuration_id, c.name AS configuration_name,
       u.id AS initiator_id, u.username AS initiator_username, b.architecture, b.environment, b.priority,
       b.options::text AS options, b.attempt, b.current_stage, b.retry_of, c.project_id,
       b.failure_kind, b.failure_reason, b.claimed_at, b.artifact_id, b.cached_from, b.findings::text AS findings,
       b.toolchain
FROM builds b
JOIN configuration_versions v ON v.id = b.version_id
JOIN configurations c ON c.id = b.configuration_id
JOIN users u ON u.id = b.initiator_id;
