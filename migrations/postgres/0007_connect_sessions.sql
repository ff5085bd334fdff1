-- Connect sessions: what the hosted connect page may do for one user, for minutes. The bearer
-- token is stored as SHA-256 only.
CREATE TABLE connect_sessions (
  id             text PRIMARY KEY,
  token_hash     text NOT NULL UNIQUE,
  user_id        text NOT NULL,
  providers      text NOT NULL,
  return_to      text,
  integration_id text,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz
);
CREATE INDEX connect_sessions_by_expiry ON connect_sessions (expires_at);
