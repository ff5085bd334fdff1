-- Every write to an integration or its token set tells the other replicas at commit
-- (NOTIFY is transactional: a rolled-back write tells nobody), so that their token hand-out
-- caches drop what they hold. A trigger, not the application, sends it: rotate-keys from the
-- CLI and an operator's own UPDATE are heard too. The payload is a JSON array:
-- [integration_id] for a token write, [integration_id, user_id, provider] for a row write.
CREATE FUNCTION oam_notify_integration_changed() RETURNS trigger AS $$
DECLARE
  changed_row record;
BEGIN
  IF TG_OP = 'DELETE' THEN
    changed_row := OLD;
  ELSE
    changed_row := NEW;
  END IF;
  IF TG_TABLE_NAME = 'tokens' THEN
    PERFORM pg_notify('oam_integration_changed', json_build_array(changed_row.integration_id)::text);
  ELSE
    PERFORM pg_notify('oam_integration_changed',
                      json_build_array(changed_row.id, changed_row.user_id, changed_row.provider)::text);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER integrations_changed AFTER INSERT OR UPDATE OR DELETE ON integrations
  FOR EACH ROW EXECUTE FUNCTION oam_notify_integration_changed();
CREATE TRIGGER tokens_changed AFTER INSERT OR UPDATE OR DELETE ON tokens
  FOR EACH ROW EXECUTE FUNCTION oam_notify_integration_changed();
