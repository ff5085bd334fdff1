-- Connect sessions: what the hosted connect page may do for one user, for minutes. The bearer
-- token is stored as SHA-256 only.
CREATE TABLE connect_sessions (
  id             TEXT PRIMARY KEY,
  token_hash     TEXT NOT NULL UNIQUE,
  user_id        TEXT NOT NULL,
  providers      TEXT NOT NULL,
  return_to      TEXT,
  integration_id TEXT,
  created_by     TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  revoked_at     INTEGER
);
CREATE INDEX connect_sessions_by_expiry ON connect_sessions (expires_at);
