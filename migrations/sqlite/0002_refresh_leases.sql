-- Single-flight refresh across processes sharing the file: one lease row per integration being
-- refreshed, taken only when absent or expired, released only by its owner.
CREATE TABLE refresh_leases (
  integration_id TEXT PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
  owner          TEXT NOT NULL,
  expires_at     INTEGER NOT NULL
);

-- The background refresher asks for tokens expiring soonest.
CREATE INDEX tokens_by_expiry ON tokens (expires_at);
