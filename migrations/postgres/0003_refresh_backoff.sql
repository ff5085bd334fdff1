-- Refresh backoff shared by every replica: after a transient failure (network, 5xx, 429) no
-- replica calls the provider for this integration again before retry_at.
CREATE TABLE refresh_backoff (
  integration_id text PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
  failures       integer NOT NULL,
  retry_at       timestamptz NOT NULL
);
