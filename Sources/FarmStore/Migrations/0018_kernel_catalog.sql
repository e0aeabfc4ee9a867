-- Each kernel series' module catalog, as a worker building the series read
-- it from its tree (PUT /kernels/{series}/catalog); configurations' module
-- names resolve against it. sha256 is of the published body: the same body
-- published again changes nothing.
CREATE TABLE kernel_catalogs (
    series        text PRIMARY KEY,
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    module_count  integer NOT NULL CHECK (module_count >= 0),
    published_at  timestamptz NOT NULL DEFAULT now(),
    published_by  uuid NOT NULL REFERENCES workers (id)
);

-- canonical_name is the name lowercased with '-' as '_' (ModuleResolution.key):
-- the kernel loads crc-ccitt as crc_ccitt.
CREATE TABLE kernel_modules (
    series          text NOT NULL REFERENCES kernel_catalogs (series) ON DELETE CASCADE,
    name            text NOT NULL,
    canonical_name  text NOT NULL,
    path            text NOT NULL,
    symbol          text NOT NULL,
    type            text NOT NULL CHECK (type IN ('tristate', 'bool')),
    prompt          text,
    depends_on      text[] NOT NULL,
    parameters      jsonb NOT NULL,
    -- What `q` searches, lowercased once here rather than on every row of every search.
    search_text     text GENERATED ALWAYS AS (lower(name || ' ' || symbol || ' ' || path || ' ' || coalesce(prompt, ''))) STORED,
    PRIMARY KEY (series, canonical_name)
);

-- `q` is a substring anywhere in search_text: trigrams serve LIKE '%q%',
-- which a b-tree cannot. pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX kernel_modules_search ON kernel_modules USING gin (search_text gin_trgm_ops);

-- A module as KernelModuleInfo's JSON, so listings, lookups and resolution decode it one way.
CREATE VIEW kernel_module_view AS
SELECT series, canonical_name, search_text,
       jsonb_build_object('name', name, 'path', path, 'symbol', symbol, 'type', type, 'prompt', prompt,
                          'dependsOn', to_jsonb(depends_on), 'parameters', parameters)::text AS module
FROM kernel_modules;

-- What a kernel build found and did on its own (BuildFindings): an empty one
-- until its outcome is recorded.
ALTER TABLE builds ADD COLUMN findings jsonb NOT NULL DEFAULT '{"enabledDependencies": [], "warnings": []}';

CREATE OR REPLACE VIEW build_view AS
SELECT b.id, b.build_number, b.status, b.progress, b.started_at, b.estimated_completion, b.completed_at,
       v.id AS version_id, v.version, c.id AS configuration_id, c.name AS configuration_name,
       u.id AS initiator_id, u.username AS initiator_username, b.architecture, b.environment, b.priority,
       b.options::text AS options, b.attempt, b.current_stage, b.retry_of, c.project_id,
       b.failure_kind, b.failure_reason, b.claimed_at, b.artifact_id, b.cached_from, b.findings::text AS findings
FROM builds b
JOIN configuration_versions v ON v.id = b.version_id
JOIN configurations c ON c.id = b.configuration_id
JOIN users u ON u.id = b.initiator_id;
