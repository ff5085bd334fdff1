-- Nothing to do on SQLite: PostgreSQL's 0010 rewrites its oam_ts()/oam_ms() SQL functions so the
-- planner inlines them; SQLite's are C functions registered by the connection. Kept so both
-- backends share numbering.
SELECT 1;
