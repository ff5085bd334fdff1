#include "auth/session_store.hpp"

namespace oauth_manager::auth {

core::Result<bool> RedisSessionStore::session_active(const std::string& key) {
  auto reply = redis_.command({"EXISTS", key});
  if (!reply) return reply.error();
  return reply->integer > 0;
}

}  // namespace oauth_manager::auth
