-- Who else holds a provider account: a grant about to be revoked may be the same grant another
-- live integration uses (Google revokes per account and client).
CREATE INDEX integrations_by_account ON integrations (provider, provider_account_id);
