-- Kernels from git: a configuration may name a repository and a tag,
-- branch or commit instead of the workers' source package, and out-of-tree
-- modules from git ([{name, git, ref}]); a build records the commit its
-- worker resolved the ref to when it started.
ALTER TABLE configurations
    ADD COLUMN source_git text,
    ADD COLUMN source_ref text,
    ADD COLUMN external_modules jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(external_modules) = 'array'),
    ADD CONSTRAINT configurations_source CHECK ((source_git IS NULL) = (source_ref IS NULL));

ALTER TABLE builds
    ADD COLUMN source jsonb;

CREATE OR REPLACE VIEW configuration_view AS
SELECT c.id, c.name, c.description, c.base_version, c.architecture, c.created_at, c.updated_at,
       u.id AS creator_id, u.username AS creator_username, p.id AS project_id, p.name AS project_name,
       c.base_config, encode(sha256(convert_to(c.stored_config, 'UTF8')), 'hex') AS stored_config_sha256,
       c.source_git, c.source_ref, c.external_modules::text AS external_modules
FROM configurations c
JOIN users u ON u.id = c.created_by
JOIN projects p ON p.id = c.project_id;

CREATE OR REPLACE VIEW build_view AS
SELECT b.id, b.build_number, b.status, b.progress, b.started_at, b.estimated_completion, b.completed_at,
       v.id AS version_id, v.version, c.id AS configuration_id, c.name AS configuration_name,
       u.id AS initiator_id, u.username AS initiator_username, b.architecture, b.environment, b.priority,
       b.options::text AS options, b.attempt, b.current_stage, b.retry_of, c.project_id,
       b.failure_kind, b.failure_reason, b.claimed_at, b.artifact_id, b.cached_from, b.findings::text AS findings,
       b.toolchain, b.source::text AS source
FROM builds b
JOIN configuration_versions v ON v.id = b.version_id
JOIN configurations c ON c.id = b.configuration_id
JOIN users u ON u.id = b.initiator_id;
