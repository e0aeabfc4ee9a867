-- When a queued build's dispatch was last sent: a dispatch can be lost after
-- the broker took it (a worker may purge or reject what it may read, a broker
-- may lose it), so a build still queued long after is dispatched again (the
-- claim fences copies).
ALTER TABLE builds ADD COLUMN dispatched_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX builds_queued_dispatch ON builds (dispatched_at) WHERE status = 'queued';
