-- Build log lines as workers report them, and when attempts are claimed.
-- Log lines are numbered per attempt: a replayed event stores each line once
-- (the key is build, attempt, line number).
CREATE TABLE build_log_lines (
    build_id  uuid NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    attempt   integer NOT NULL,
    number    integer NOT NULL CHECK (number > 0),
    text      text NOT NULL,
    PRIMARY KEY (build_id, attempt, number)
);

-- When the current attempt was claimed: how long builds wait for a worker.
ALTER TABLE builds ADD COLUMN claimed_at timestamptz;

CREATE OR REPLACE VIEW build_view AS
SELECT b.id, b.build_number, b.status, b.progress, b.started_at, b.estimated_completion, b.completed_at,
       v.id AS version_id, v.version, c.id AS configuration_id, c.name AS configuration_name,
       u.id AS initiator_id, u.username AS initiator_username, b.architecture, b.environment, b.priority,
       b.options::text AS options, b.attempt, b.current_stage, b.retry_of, c.project_id,
       b.failure_kind, b.failure_reason, b.claimed_at
FROM builds b
JOIN configuration_versions v ON v.id = b.version_id
JOIN configurations c ON c.id = b.configuration_id
JOIN users u ON u.id = b.initiator_id;
