-- Nothing to do on SQLite: PostgreSQL's 0009 makes writes notify other replicas, and SQLite
-- has no other replicas to notify (one service process per database file; a CLI command such as
-- rotate-keys is covered by the cache's staleness bound). Kept so both backends share numbering.
SELECT 1;
