-- Refresh backoff shared by every process on the database: after a transient failure (network,
-- 5xx, 429) nobody calls the provider for this integration again before retry_at.
CREATE TABLE refresh_backoff (
  integration_id TEXT PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
  failures       INTEGER NOT NULL,
  retry_at       INTEGER NOT NULL
);
