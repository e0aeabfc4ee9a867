-- When the relay declared a system's order queue on the broker: agents may
-- not declare queues (they log in with their own tokens and may only read
-- their queue), so the farm declares it once the system exists.
ALTER TABLE target_systems ADD COLUMN order_queue_declared_at timestamptz;
CREATE INDEX target_systems_undeclared ON target_systems (created_at) WHERE order_queue_declared_at IS NULL;
