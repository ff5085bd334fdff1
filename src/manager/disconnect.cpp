#include "manager/disconnect.hpp"

#include "manager/integration_lookup.hpp"

namespace oauth_manager::manager {

boost::asio::awaitable<core::Result<nlohmann::json>> Disconnect::run(
    const core::Caller& caller, const std::string& id, std::optional<std::string>& owner) {
  // A named ref, not a braced temporary: g++ 12 destroys temporaries of a co_await expression
  // twice (GCC bug 99576).
  const IntegrationRef ref{id, std::nullopt, std::nullopt};
  auto integration = co_await find_integration(store_, blocking_, caller, ref);
  if (!integration) co_return integration.error();
  owner = integration->user_id;
  if (integration->status == core::IntegrationStatus::revoked) {
    co_return nlohmann::json{{"provider", integration->provider}, {"already", "revoked"}};
  }
  auto revocation = co_await revoke_at_provider(*integration);
  if (auto removed = co_await remove_locally(id); !removed) co_return removed.error();
  announce(publisher_, "integration.revoked", *integration);
  co_return revocation;
}

boost::asio::awaitable<core::Status> Disconnect::remove_locally(const std::string& id) {
  const auto now = clock_.now();
  // One transaction: a crash half-way never leaves tokens deleted but the integration active.
  co_return co_await blocking_.run([this, &id, now] {
    return store_.transact([&](store::Store& tx) -> core::Status {
      if (auto deleted = tx.delete_tokens(id); !deleted) return deleted;
      if (auto marked = tx.set_integration_status(id, core::IntegrationStatus::revoked, now);
          !marked) {
        return marked;
      }
      auto closed = tx.close_consents(id, now);
      if (!closed) return closed.error();
      return core::Status{};
    });
  });
}

boost::asio::awaitable<nlohmann::json> Disconnect::revoke_at_provider(
    const core::Integration& integration) {
  nlohmann::json outcome = {{"provider", integration.provider}};
  auto handle = co_await registry_.get(integration.provider);
  if (!handle || !handle->provider->spec.revocation_endpoint) {
    outcome["revocation"] = handle ? "not offered by the provider" : "provider not enabled";
    co_return outcome;
  }
  auto current = co_await tokens_.read_tokens(integration.id);
  if (!current) {
    outcome["revocation"] = "no tokens stored";
    co_return outcome;
  }
  const auto& provider = *handle->provider;
  // The refresh token first: revoking it ends the grant, and with it (RFC 7009 §2.1, Google)
  // the access tokens issued from it.
  // Named hints, not temporaries inside the co_await (g++ 12 destroys those twice: GCC 99576).
  const std::string refresh_hint = "refresh_token";
  const std::string access_hint = "access_token";
  if (current->tokens.refresh_token) {
    auto revoked =
        co_await handle->oauth->revoke(provider, *current->tokens.refresh_token, refresh_hint);
    outcome["refresh_token"] = revoked ? "revoked" : revoked.error().message;
  }
  auto revoked =
      co_await handle->oauth->revoke(provider, current->tokens.access_token, access_hint);
  outcome["access_token"] = revoked ? "revoked" : revoked.error().message;
  co_return outcome;
}

}  // namespace oauth_manager::manager
