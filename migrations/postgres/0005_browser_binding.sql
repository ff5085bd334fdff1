-- The browser binding of a connect flow: the start link's id (hashed), the provider URL it leads
-- to (encrypted), and the hash of the cookie its first visit set.
ALTER TABLE states ADD COLUMN flow_hash text;
ALTER TABLE states ADD COLUMN start_url_ct bytea;
ALTER TABLE states ADD COLUMN browser_hash text;
-- A reconnect: the integration the flow must come back to (with the same provider account).
ALTER TABLE states ADD COLUMN reconnect_integration_id text;
CREATE UNIQUE INDEX states_by_flow ON states (flow_hash);
