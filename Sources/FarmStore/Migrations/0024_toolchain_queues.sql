-- The build queues of the toolchains workers offer (kfarm.builds.<arch>.<toolchain>).
-- Workers may only read them, so the farm's relay declares and binds each
-- once a worker first offers it (and all of them again when it reconnects).
CREATE TABLE toolchain_queues (
    architecture text NOT NULL,
    toolchain    text NOT NULL,
    declared_at  timestamptz,
    PRIMARY KEY (architecture, toolchain)
);
CREATE INDEX toolchain_queues_undeclared ON toolchain_queues (architecture) WHERE declared_at IS NULL;
INSERT INTO toolchain_queues (architecture, toolchain)
SELECT DISTINCT t->>'architecture', t->>'compiler' FROM workers w, jsonb_array_elements(w.toolchains) t
ON CONFLICT DO NOTHING;
