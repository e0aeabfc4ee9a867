-- Builds, their stages, and the outbox their dispatch messages leave through.

-- Build numbers are BUILD-YYYY-MM-DD-NNN, gap-free per (UTC) day: the
-- counter row is incremented in the submitting transaction, so a rolled
-- back submit gives its number back and concurrent submits take turns.
CREATE TABLE build_day_counters (
    day   date PRIMARY KEY,
    last  integer NOT NULL
);

CREATE TABLE builds (
    id                    uuid PRIMARY KEY,
    build_number          text NOT NULL UNIQUE,
    configuration_id      uuid NOT NULL REFERENCES configurations (id),
    version_id            uuid NOT NULL REFERENCES configuration_versions (id),
    architecture          text NOT NULL,
    environment           text NOT NULL,
    priority              text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'critical')),
    options               jsonb NOT NULL,
    status                text NOT NULL CHECK (status IN ('queued', 'in_progress', 'completed', 'failed', 'cancelled')),
    attempt               integer NOT NULL DEFAULT 1,
    progress              integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    current_stage         text,
    initiator_id          uuid NOT NULL REFERENCES users (id),
    started_at            timestamptz NOT NULL DEFAULT now(),
    estimated_completion  timestamptz NOT NULL,
    completed_at          timestamptz,
    retry_of              uuid REFERENCES builds (id)
);
CREATE INDEX builds_listing ON builds (started_at DESC, id);
CREATE INDEX builds_configuration ON builds (configuration_id, status);

CREATE TABLE build_stages (
    build_id      uuid NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    name          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'skipped')),
    started_at    timestamptz,
    completed_at  timestamptz,
    PRIMARY KEY (build_id, name)
);

-- Messages committed with the change that caused them; the relay publishes
-- them with publisher confirms and marks them sent.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    exchange     text NOT NULL,
    routing_key  text NOT NULL,
    priority     smallint NOT NULL DEFAULT 0,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

CREATE VIEW build_view AS
SELECT b.id, b.build_number, b.status, b.progress, b.started_at, b.estimated_completion, b.completed_at,
       v.id AS version_id, v.version, c.id AS configuration_id, c.name AS configuration_name,
       u.id AS initiator_id, u.username AS initiator_username, b.architecture, b.environment, b.priority,
       b.options::text AS options, b.attempt, b.current_stage, b.retry_of, c.project_id
FROM builds b
JOIN configuration_versions v ON v.id = b.version_id
JOIN configurations c ON c.id = b.configuration_id
JOIN users u ON u.id = b.initiator_id;
