-- What builds of a configuration start from: tinyconfig (as before),
-- defconfig, or a full .config stored with the configuration.
ALTER TABLE configurations
    ADD COLUMN base_config text NOT NULL DEFAULT 'tinyconfig' CHECK (base_config IN ('tinyconfig', 'defconfig', 'stored')),
    ADD COLUMN stored_config text,
    ADD CONSTRAINT configurations_stored_config CHECK ((base_config = 'stored') = (stored_config IS NOT NULL));

CREATE OR REPLACE VIEW configuration_view AS
SELECT c.id, c.name, c.description, c.base_version, c.architecture, c.created_at, c.updated_at,
       u.id AS creator_id, u.username AS creator_username, p.id AS project_id, p.name AS project_name,
       c.base_config, encode(sha256(convert_to(c.stored_config, 'UTF8')), 'hex') AS stored_config_sha256
FROM configurations c
JOIN users u ON u.id = c.created_by
JOIN projects p ON p.id = c.project_id;
