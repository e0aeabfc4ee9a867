-- A system's name is unique within its project, not across the farm: one
-- project's names must neither collide with nor reveal another project's.
ALTER TABLE target_systems DROP CONSTRAINT target_systems_name_key;
DROP INDEX target_systems_project;
ALTER TABLE target_systems ADD CONSTRAINT target_systems_project_name UNIQUE (project_id, name);

-- The blob sweeper asks which stored tarballs some artifact is stored as.
CREATE INDEX artifacts_sha256 ON artifacts (sha256);
