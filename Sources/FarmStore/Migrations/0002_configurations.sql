-- Kernel configurations, their versions (immutable once locked) and modules.
CREATE TABLE configurations (
    id            uuid PRIMARY KEY,
    project_id    uuid NOT NULL REFERENCES projects (id),
    name          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    base_version  text NOT NULL,
    architecture  text NOT NULL CHECK (architecture IN ('x86_64', 'arm64', 'riscv64')),
    created_by    uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, name)
);
CREATE INDEX configurations_listing ON configurations (project_id, architecture, created_at);

CREATE TABLE configuration_versions (
    id                uuid PRIMARY KEY,
    configuration_id  uuid NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,
    version           text NOT NULL,
    major             integer NOT NULL,
    minor             integer NOT NULL,
    patch             integer NOT NULL,
    is_locked         boolean NOT NULL DEFAULT false,
    locked_at         timestamptz,
    created_by        uuid NOT NULL REFERENCES users (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (configuration_id, version),
    CHECK (is_locked = (locked_at IS NOT NULL))
);

CREATE TABLE config_modules (
    id           uuid PRIMARY KEY,
    version_id   uuid NOT NULL REFERENCES configuration_versions (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    name         text NOT NULL,
    path         text,
    is_builtin   boolean NOT NULL,
    is_required  boolean NOT NULL,
    parameters   jsonb NOT NULL DEFAULT '{}',
    UNIQUE (version_id, name)
);

-- A locked version's modules never change, whatever path a write takes.
CREATE FUNCTION config_modules_guard_locked() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM configuration_versions v
               WHERE v.id = COALESCE(NEW.version_id, OLD.version_id) AND v.is_locked) THEN
        RAISE EXCEPTION 'configuration version is locked' USING ERRCODE = 'KF001';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER config_modules_locked
    BEFORE INSERT OR UPDATE OR DELETE ON config_modules
    FOR EACH ROW EXECUTE FUNCTION config_modules_guard_locked();

-- The seed's configuration object: the row with its creator and project.
CREATE VIEW configuration_view AS
SELECT c.id, c.name, c.description, c.base_version, c.architecture, c.created_at, c.updated_at,
       u.id AS creator_id, u.username AS creator_username, p.id AS project_id, p.name AS project_name
FROM configurations c
JOIN users u ON u.id = c.created_by
JOIN projects p ON p.id = c.project_id;
