-- Kernel artifacts: one per build that produced one, the tarball kept in
-- the artifact store under its sha256 (storage_key). input_key is the hash
-- of the build's inputs (source, final .config, toolchain, options): a
-- later build with the same key reuses the artifact instead of building.
-- provenance is the signed statement, byte for byte as signed.
CREATE TABLE artifacts (
    id              uuid PRIMARY KEY,
    build_id        uuid NOT NULL UNIQUE REFERENCES builds (id),
    attempt         integer NOT NULL,
    name            text NOT NULL,
    architecture    text NOT NULL,
    kernel_release  text NOT NULL,
    size            bigint NOT NULL CHECK (size >= 0),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key     text NOT NULL,
    input_key       text,
    metadata        jsonb NOT NULL,
    provenance      text NOT NULL,
    signature       text NOT NULL,
    signing_key_id  text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX artifacts_listing ON artifacts (created_at DESC, id);
CREATE INDEX artifacts_input_key ON artifacts (input_key, created_at DESC) WHERE input_key IS NOT NULL;

-- The artifact a build delivered: its own, or the one it reused (cached_from
-- is then the build that produced it).
ALTER TABLE builds ADD COLUMN artifact_id uuid REFERENCES artifacts (id),
                   ADD COLUMN cached_from uuid REFERENCES builds (id);

CREATE OR REPLACE VIEW build_view AS
SELECT b.id, b.build_number, b.status, b.progress, b.started_at, b.estimated_completion, b.completed_at,
       v.id AS version_id, v.version, c.id AS configuration_id, c.name AS configuration_name,
       u.id AS initiator_id, u.username AS initiator_username, b.architecture, b.environment, b.priority,
       b.options::text AS options, b.attempt, b.current_stage, b.retry_of, c.project_id,
       b.failure_kind, b.failure_reason, b.claimed_at, b.artifact_id, b.cached_from
FROM builds b
JOIN configuration_versions v ON v.id = b.version_id
JOIN configurations c ON c.id = b.configuration_id
JOIN users u ON u.id = b.initiator_id;

-- An artifact with the build, configuration version and initiator it came from.
CREATE VIEW artifact_view AS
SELECT a.id, a.name, a.architecture, a.kernel_release, a.size, a.sha256, a.created_at,
       b.id AS build_id, b.build_number, c.id AS configuration_id, c.name AS configuration_name,
       v.id AS version_id, v.version, u.id AS initiator_id, u.username AS initiator_username,
       a.metadata::text AS metadata, a.provenance, a.signature, a.signing_key_id, c.project_id, a.input_key
FROM artifacts a
JOIN builds b ON b.id = a.build_id
JOIN configuration_versions v ON v.id = b.version_id
JOIN configurations c ON c.id = b.configuration_id
JOIN users u ON u.id = b.initiator_id;
