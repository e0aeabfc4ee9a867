-- The kernel series a worker builds (e.g. {6.1}); NULL for a worker whose
-- recipe takes any version (fixture, no-op). Submits of a version no
-- registered worker of the architecture builds are refused.
ALTER TABLE workers ADD COLUMN kernel_series text[];

CREATE OR REPLACE VIEW worker_view AS
SELECT w.id, w.name, w.architectures, w.toolchains::text AS toolchains, w.cores, w.memory_mb, w.registered_at,
       w.last_heartbeat_at,
       EXISTS (SELECT 1 FROM builds b WHERE b.worker_id = w.id AND b.status = 'in_progress'
               AND b.lease_expires_at > now()) AS busy,
       w.last_heartbeat_at < now() - interval '90 seconds' AS offline,
       w.kernel_series
FROM workers w;
