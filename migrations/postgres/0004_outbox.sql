-- Side effects written in the same transaction as their cause (revocations at the provider,
-- webhooks) and carried out at least once by whichever replica claims them with a lease.
CREATE TABLE outbox (
  id          text PRIMARY KEY,
  kind        text NOT NULL,
  payload     text NOT NULL,
  attempts    integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL,
  due_at      timestamptz NOT NULL,
  lease_owner text,
  lease_until timestamptz,
  last_error  text
);
CREATE INDEX outbox_by_due ON outbox (due_at);
