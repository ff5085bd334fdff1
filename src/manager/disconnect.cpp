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
  nlohmann::json outcome = {{"provider", integration->provider}};
  if (integration->status == core::IntegrationStatus::revoked) {
    outcome["already"] = "revoked";
    co_return outcome;
  }
  const auto no_revocation = co_await why_no_revocation(integration->provider);
  auto jobs = co_await remove_locally(*integration, !no_revocation);
  if (!jobs) co_return jobs.error();
  if (publisher_ != nullptr) publisher_->committed();
  if (no_revocation) {
    outcome["revocation"] = *no_revocation;
  } else if (jobs->empty()) {
    outcome["revocation"] = "no tokens stored";
  }
  co_await revoke_now(*jobs, outcome);
  co_return outcome;
}

// Only what is known for good skips the revocation: a provider not enabled here, or one without
// a revocation endpoint. Anything else (discovery timing out) still queues the jobs.
boost::asio::awaitable<std::optional<std::string>> Disconnect::why_no_revocation(
    const std::string& provider) {
  auto handle = co_await registry_.get(provider);
  if (!handle && handle.error().code == core::Code::provider_unknown) {
    co_return "provider not enabled";
  }
  if (handle && !handle->provider->spec.revocation_endpoint)
    co_return "not offered by the provider";
  co_return std::nullopt;
}

boost::asio::awaitable<core::Result<std::vector<core::OutboxJob>>> Disconnect::remove_locally(
    const core::Integration& integration, bool revoke) {
  const auto now = clock_.now();
  std::vector<core::OutboxJob> jobs;
  // One transaction: a crash half-way never leaves tokens deleted but the integration active,
  // nor tokens deleted without their revocation queued.
  auto removed = co_await blocking_.run([&] {
    return store_.transact([&](store::Store& tx) -> core::Status {
      const auto& id = integration.id;
      // The tokens as the delete found them: a refresh that committed a moment before is
      // revoked, not the set it replaced.
      auto tokens = tx.delete_tokens(id);
      if (!tokens) return tokens.error();
      if (*tokens && revoke) jobs = TokenRevoker::jobs_for(integration, **tokens, outbox_);
      if (auto queued = events::OutboxWorker::enqueue(tx, jobs); !queued) return queued;
      if (auto marked = tx.set_integration_status(id, core::IntegrationStatus::revoked, now);
          !marked) {
        return marked;
      }
      if (auto closed = tx.close_consents(id, now); !closed) return closed.error();
      // Of two disconnects at once, the one that took the tokens announces it.
      if (!*tokens) return core::Status{};
      return announce(publisher_, tx, "integration.revoked", integration);
    });
  });
  if (!removed) co_return removed.error();
  co_return jobs;
}

// In order, the refresh token first. A failure is noted in `outcome` and left to the outbox.
boost::asio::awaitable<void> Disconnect::revoke_now(const std::vector<core::OutboxJob>& jobs,
                                                    nlohmann::json& outcome) {
  for (const auto& job : jobs) {
    const auto delivery = co_await outbox_.deliver(job);
    const auto hint = TokenRevoker::token_hint_of(job);
    if (delivery.outcome == events::Delivery::Outcome::delivered) {
      outcome[hint] = "revoked";
      continue;
    }
    outcome[hint] = delivery.message;
    if (delivery.outcome == events::Delivery::Outcome::retry) {
      outcome["revocation"] = "pending: retried in the background";
      outbox_.wake();  // its first retry is due in seconds: the worker must not sleep past it
    }
  }
}

}  // namespace oauth_manager::manager
