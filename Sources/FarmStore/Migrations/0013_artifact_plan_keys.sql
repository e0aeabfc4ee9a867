-- The build cache's second key: the hash of a build's inputs as known before
-- anything ran (its plan), so a repeated submit is answered at once.
ALTER TABLE artifacts ADD COLUMN plan_key text;
CREATE INDEX artifacts_plan_key ON artifacts (plan_key, created_at DESC) WHERE plan_key IS NOT NULL;
