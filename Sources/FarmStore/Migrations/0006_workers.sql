-- Build workers, registered with a worker token, and the lease a claimed
-- build is held under.
CREATE TABLE workers (
    id                 uuid PRIMARY KEY,
    name               text NOT NULL UNIQUE,
    token_id           uuid NOT NULL REFERENCES api_tokens (id),
    architectures      text[] NOT NULL,
    toolchains         jsonb NOT NULL,
    cores              integer NOT NULL CHECK (cores > 0),
    memory_mb          integer NOT NULL CHECK (memory_mb > 0),
    registered_at      timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE builds
    ADD COLUMN worker_id uuid REFERENCES workers (id),
    ADD COLUMN lease_expires_at timestamptz;

-- A worker with its derived state: busy while it holds a live build lease,
-- offline after 90 s without a heartbeat.
CREATE VIEW worker_view AS
SELECT w.id, w.name, w.architectures, w.toolchains::text AS toolchains, w.cores, w.memory_mb, w.registered_at,
       w.last_heartbeat_at,
       EXISTS (SELECT 1 FROM builds b WHERE b.worker_id = w.id AND b.status = 'in_progress'
               AND b.lease_expires_at > now()) AS busy,
       w.last_heartbeat_at < now() - interval '90 seconds' AS offline
FROM workers w;
