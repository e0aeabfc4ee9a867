-- What a token may be used for: people (user), build workers (worker) or
-- deployment agents on target systems (system). Worker and system tokens
-- are created by farm admins and can call only the endpoints made for them.
ALTER TABLE api_tokens
    ADD COLUMN kind text NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'worker', 'system'));
