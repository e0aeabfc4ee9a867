-- Deployment agents: a system is bound to the system token its agent first
-- reported with; targets remember a requested rollback; a rollback may
-- return a system to a kernel the farm did not build (no artifact, and no
-- slot when the farm had never installed one before).
ALTER TABLE target_systems ADD COLUMN agent_token_id uuid REFERENCES api_tokens (id);

ALTER TABLE deployment_targets ADD COLUMN rollback_requested_at timestamptz;

ALTER TABLE system_kernel_history ALTER COLUMN artifact_id DROP NOT NULL;
ALTER TABLE system_kernel_history ALTER COLUMN slot DROP NOT NULL;

-- The scheduler's look for due deployments and silent agents.
CREATE INDEX deployment_targets_running ON deployment_targets (deployment_id) WHERE status = 'in_progress';
