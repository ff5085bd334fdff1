-- Cross-replica single-flight refresh: one lease row per integration being refreshed. A lease is
-- taken only when absent or expired, and released only by its owner; the token version is the
-- fence (a writer whose lease expired meanwhile fails its conditional update).
CREATE TABLE refresh_leases (
  integration_id text PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
  owner          text NOT NULL,
  expires_at     timestamptz NOT NULL
);

-- The background refresher asks for tokens expiring soonest.
CREATE INDEX tokens_by_expiry ON tokens (expires_at);
