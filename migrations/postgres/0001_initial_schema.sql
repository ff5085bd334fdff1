-- oauth-manager schema, PostgreSQL backend. Times are timestamptz; the application exchanges
-- them as Unix milliseconds through oam_ts() and oam_ms() so both backends share one contract.
-- Scope lists are space-separated: RFC 6749 §3.3 scope tokens never contain a space.

CREATE FUNCTION oam_ts(ms bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN 'epoch'::timestamptz + ms * interval '1 millisecond';
CREATE FUNCTION oam_ms(ts timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN floor(extract(epoch FROM ts) * 1000)::bigint;

CREATE TABLE integrations (
  id                  text PRIMARY KEY,
  user_id             text NOT NULL,
  provider            text NOT NULL,
  provider_account_id text NOT NULL,
  account_email       text,
  account_name        text,
  status              text NOT NULL CHECK (status IN ('active', 'needs_reauth', 'revoked')),
  granted_scopes      text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  last_refreshed_at   timestamptz
);
-- One integration per connected account; its prefix serves lookups by (user_id, provider).
CREATE UNIQUE INDEX integrations_user_provider_account
  ON integrations (user_id, provider, provider_account_id);

CREATE TABLE tokens (
  integration_id   text PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
  access_token_ct  bytea NOT NULL,
  refresh_token_ct bytea,
  token_type       text NOT NULL,
  expires_at       timestamptz,
  key_id           text NOT NULL,
  version          bigint NOT NULL,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX tokens_by_key_id ON tokens (key_id);

CREATE TABLE scopes (
  provider    text NOT NULL,
  name        text NOT NULL,
  description text NOT NULL,
  PRIMARY KEY (provider, name)
);

CREATE TABLE consents (
  id               text PRIMARY KEY,
  user_id          text NOT NULL,
  integration_id   text NOT NULL REFERENCES integrations (id),
  requested_scopes text NOT NULL,
  granted_scopes   text NOT NULL,
  created_at       timestamptz NOT NULL,
  ip               text,
  user_agent       text,
  revoked_at       timestamptz
);
CREATE INDEX consents_by_user ON consents (user_id, created_at);
CREATE INDEX consents_by_integration ON consents (integration_id);

-- The ledger is append-only: the one change allowed is closing an open entry.
CREATE FUNCTION oam_consents_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
     OR (NEW.id, NEW.user_id, NEW.integration_id, NEW.requested_scopes, NEW.granted_scopes,
         NEW.created_at, NEW.ip, NEW.user_agent)
        IS DISTINCT FROM
        (OLD.id, OLD.user_id, OLD.integration_id, OLD.requested_scopes, OLD.granted_scopes,
         OLD.created_at, OLD.ip, OLD.user_agent) THEN
    RAISE EXCEPTION 'consents are append-only: only revoked_at may be set, once';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON consents
  FOR EACH ROW EXECUTE FUNCTION oam_consents_append_only();

CREATE TABLE audit_events (
  seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id             text NOT NULL UNIQUE,
  occurred_at    timestamptz NOT NULL,
  actor          text NOT NULL,
  event          text NOT NULL,
  user_id        text,
  integration_id text,
  outcome        text NOT NULL,
  request_id     text,
  ip             text,
  details        text NOT NULL,
  prev_hash      text NOT NULL,
  hash           text NOT NULL
);
CREATE INDEX audit_events_by_user ON audit_events (user_id, seq);
CREATE INDEX audit_events_by_integration ON audit_events (integration_id, seq);
CREATE FUNCTION oam_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION oam_audit_append_only();

CREATE TABLE states (
  state_hash       text PRIMARY KEY,
  user_id          text NOT NULL,
  provider         text NOT NULL,
  pkce_verifier_ct bytea NOT NULL,
  nonce            text,
  requested_scopes text NOT NULL,
  return_to        text,
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  consumed_at      timestamptz
);
CREATE INDEX states_by_expiry ON states (expires_at);
