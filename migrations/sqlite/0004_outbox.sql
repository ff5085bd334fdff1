-- Side effects written in the same transaction as their cause (revocations at the provider,
-- webhooks) and carried out at least once by whichever process claims them with a lease.
CREATE TABLE outbox (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  payload     TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  due_at      INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  last_error  TEXT
);
CREATE INDEX outbox_by_due ON outbox (due_at);
