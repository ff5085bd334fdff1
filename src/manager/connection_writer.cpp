#include "manager/connection_writer.hpp"

#include "core/ids.hpp"
#include "manager/integration_lookup.hpp"

namespace oauth_manager::manager {

core::Result<core::Integration> ConnectionWriter::write(store::Store& tx, NewConnection connection,
                                                        core::Timestamp now) const {
  auto stored = tx.upsert_integration(connection.integration);
  if (!stored) return stored.error();
  auto& tokens = connection.tokens;
  // Reconnecting the same account: a provider that sends no new refresh token (Google without
  // a fresh consent) leaves the one we hold valid, so keep it.
  if (!tokens.refresh_token) {
    if (auto previous = tx.get_tokens(stored->id)) {
      if (auto opened = vault_.open(*previous)) tokens.refresh_token = opened->refresh_token;
    }
  }
  if (auto put = tx.put_tokens(vault_.seal(stored->id, tokens, now)); !put) return put.error();
  core::Consent consent;
  consent.id = core::new_id(random_);
  consent.user_id = stored->user_id;
  consent.integration_id = stored->id;
  consent.requested_scopes = connection.requested_scopes;
  consent.granted_scopes = stored->granted_scopes;
  consent.created_at = now;
  consent.ip = connection.ip;
  consent.user_agent = connection.user_agent;
  if (auto appended = tx.append_consent(consent); !appended) return appended.error();
  if (auto announced = announce(publisher_, tx, "integration.connected", *stored); !announced) {
    return announced.error();
  }
  return stored;
}

}  // namespace oauth_manager::manager
