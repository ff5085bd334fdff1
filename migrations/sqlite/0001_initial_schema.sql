-- oauth-manager schema, SQLite backend. Times are Unix milliseconds (UTC).
-- Scope lists are space-separated: RFC 6749 §3.3 scope tokens never contain a space.

CREATE TABLE integrations (
  id                  TEXT PRIMARY KEY,
  user_id             TEXT NOT NULL,
  provider            TEXT NOT NULL,
  provider_account_id TEXT NOT NULL,
  account_email       TEXT,
  account_name        TEXT,
  status              TEXT NOT NULL CHECK (status IN ('active', 'needs_reauth', 'revoked')),
  granted_scopes      TEXT NOT NULL DEFAULT '',
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  last_refreshed_at   INTEGER
);
-- One integration per connected account; its prefix serves lookups by (user_id, provider).
CREATE UNIQUE INDEX integrations_user_provider_account
  ON integrations (user_id, provider, provider_account_id);

CREATE TABLE tokens (
  integration_id   TEXT PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
  access_token_ct  BLOB NOT NULL,
  refresh_token_ct BLOB,
  token_type       TEXT NOT NULL,
  expires_at       INTEGER,
  key_id           TEXT NOT NULL,
  version          INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX tokens_by_key_id ON tokens (key_id);

CREATE TABLE scopes (
  provider    TEXT NOT NULL,
  name        TEXT NOT NULL,
  description TEXT NOT NULL,
  PRIMARY KEY (provider, name)
);

CREATE TABLE consents (
  id               TEXT PRIMARY KEY,
  user_id          TEXT NOT NULL,
  integration_id   TEXT NOT NULL REFERENCES integrations (id),
  requested_scopes TEXT NOT NULL,
  granted_scopes   TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  ip               TEXT,
  user_agent       TEXT,
  revoked_at       INTEGER
);
CREATE INDEX consents_by_user ON consents (user_id, created_at);
CREATE INDEX consents_by_integration ON consents (integration_id);
-- The ledger is append-only: the one change allowed is closing an open entry.
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN
  SELECT RAISE(ABORT, 'consents are append-only');
END;
CREATE TRIGGER consents_only_close BEFORE UPDATE ON consents
WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.user_id IS NOT OLD.user_id
  OR NEW.integration_id IS NOT OLD.integration_id
  OR NEW.requested_scopes IS NOT OLD.requested_scopes
  OR NEW.granted_scopes IS NOT OLD.granted_scopes OR NEW.created_at IS NOT OLD.created_at
  OR NEW.ip IS NOT OLD.ip OR NEW.user_agent IS NOT OLD.user_agent
BEGIN
  SELECT RAISE(ABORT, 'consents are append-only: only revoked_at may be set, once');
END;

CREATE TABLE audit_events (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  id             TEXT NOT NULL UNIQUE,
  occurred_at    INTEGER NOT NULL,
  actor          TEXT NOT NULL,
  event          TEXT NOT NULL,
  user_id        TEXT,
  integration_id TEXT,
  outcome        TEXT NOT NULL,
  request_id     TEXT,
  ip             TEXT,
  details        TEXT NOT NULL,
  prev_hash      TEXT NOT NULL,
  hash           TEXT NOT NULL
);
CREATE INDEX audit_events_by_user ON audit_events (user_id, seq);
CREATE INDEX audit_events_by_integration ON audit_events (integration_id, seq);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE states (
  state_hash       TEXT PRIMARY KEY,
  user_id          TEXT NOT NULL,
  provider         TEXT NOT NULL,
  pkce_verifier_ct BLOB NOT NULL,
  nonce            TEXT,
  requested_scopes TEXT NOT NULL,
  return_to        TEXT,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  consumed_at      INTEGER
);
CREATE INDEX states_by_expiry ON states (expires_at);
