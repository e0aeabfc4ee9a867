-- Dashboard sessions: a person signs in to /ui with one of their tokens and
-- gets a session cookie. Only the cookie secret's SHA-256 is kept; a session
-- ends at its expiry, at sign-out, or when the token it came from is revoked
-- or expires (checked on every use).
CREATE TABLE dashboard_sessions (
    secret_hash  bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_id     uuid NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
