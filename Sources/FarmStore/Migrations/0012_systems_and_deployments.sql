-- Target systems kernels are deployed to, deployments of an artifact to
-- them, and every kernel switch on a system (what ran where, since when).
CREATE TABLE target_systems (
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL UNIQUE,
    architecture         text NOT NULL,
    project_id           uuid NOT NULL REFERENCES projects (id),
    labels               jsonb NOT NULL DEFAULT '{}',
    current_artifact_id  uuid REFERENCES artifacts (id),
    active_slot          text CHECK (active_slot IN ('a', 'b')),
    last_seen_at         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX target_systems_project ON target_systems (project_id, name);

CREATE TABLE deployments (
    id                    uuid PRIMARY KEY,
    artifact_id           uuid NOT NULL REFERENCES artifacts (id),
    project_id            uuid NOT NULL REFERENCES projects (id),
    status                text NOT NULL CHECK (status IN ('scheduled', 'in_progress', 'completed', 'failed',
                                                          'rolled_back', 'cancelled')),
    options               jsonb NOT NULL,
    authorizer_id         uuid NOT NULL REFERENCES users (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    scheduled_for         timestamptz NOT NULL,
    started_at            timestamptz,
    estimated_completion  timestamptz,
    completed_at          timestamptz
);
CREATE INDEX deployments_listing ON deployments (created_at DESC, id);
CREATE INDEX deployments_due ON deployments (scheduled_for) WHERE status IN ('scheduled', 'in_progress');

CREATE TABLE deployment_targets (
    deployment_id  uuid NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    system_id      uuid NOT NULL REFERENCES target_systems (id),
    position       integer NOT NULL,
    status         text NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'rolled_back',
                                                   'cancelled')),
    started_at     timestamptz,
    completed_at   timestamptz,
    result         text,
    PRIMARY KEY (deployment_id, system_id)
);
CREATE INDEX deployment_targets_system ON deployment_targets (system_id);

CREATE TABLE system_kernel_history (
    id             bigserial PRIMARY KEY,
    system_id      uuid NOT NULL REFERENCES target_systems (id),
    artifact_id    uuid NOT NULL REFERENCES artifacts (id),
    deployment_id  uuid REFERENCES deployments (id),
    action         text NOT NULL CHECK (action IN ('install', 'rollback')),
    slot           text NOT NULL CHECK (slot IN ('a', 'b')),
    switched_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX system_kernel_history_system ON system_kernel_history (system_id, switched_at DESC);

-- A system with its project and current artifact; status from the agent's last report.
CREATE VIEW system_view AS
SELECT s.id, s.name, s.architecture, p.id AS project_id, p.name AS project_name, s.labels::text AS labels,
       CASE WHEN s.last_seen_at IS NULL THEN 'unknown'
            WHEN s.last_seen_at < now() - interval '90 seconds' THEN 'offline'
            ELSE 'online' END AS status,
       a.id AS artifact_id, a.name AS artifact_name, s.active_slot, s.last_seen_at, s.created_at
FROM target_systems s
JOIN projects p ON p.id = s.project_id
LEFT JOIN artifacts a ON a.id = s.current_artifact_id;
