-- Connect flows the provider finished, waiting for the application to confirm their user
-- ([connect] confirm_url). The one-time id is stored hashed; the connection and its tokens are
-- one encrypted payload. Expired ones are deleted and their grants revoked.
CREATE TABLE pending_connections (
  id_hash    TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  provider   TEXT NOT NULL,
  payload_ct BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX pending_connections_by_expiry ON pending_connections (expires_at);
