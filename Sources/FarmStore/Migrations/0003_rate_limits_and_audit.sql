-- Rate-limit counters shared by every API replica: one row per key
-- ('user:<id>' or 'ip:<address>') and fixed window; an upsert counts a hit
-- atomically, so concurrent requests never lose an update.
CREATE TABLE rate_limit_windows (
    key           text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_windows_age ON rate_limit_windows (window_start);

-- Who did what, when: written in the same transaction as the change itself.
-- A null actor is the `kfarm admin` command line (bootstrap, recovery).
CREATE TABLE audit_events (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    action         text NOT NULL,
    resource_type  text NOT NULL,
    resource_id    text NOT NULL,
    project_id     uuid,
    details        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_resource ON audit_events (resource_type, resource_id);
CREATE INDEX audit_events_actor ON audit_events (actor_id);

CREATE VIEW audit_view AS
SELECT e.id, e.at, e.actor_id, u.username AS actor_username, e.action, e.resource_type, e.resource_id,
       e.project_id, e.details::text AS details
FROM audit_events e
LEFT JOIN users u ON u.id = e.actor_id;
