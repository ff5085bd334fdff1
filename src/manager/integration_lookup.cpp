#include "manager/integration_lookup.hpp"

#include <fmt/format.h>

#include <vector>

#include "manager/acting_user.hpp"

namespace oauth_manager::manager {
namespace {

boost::asio::awaitable<core::Result<core::Integration>> find_by_id(store::Store& store,
                                                                   core::BlockingPool& blocking,
                                                                   const core::Caller& caller,
                                                                   const std::string& id) {
  co_return co_await blocking.run(
      [&store, &caller, &id] { return owned_integration(store, caller, id); });
}

}  // namespace

core::Result<core::Integration> owned_integration(store::Store& store, const core::Caller& caller,
                                                  const std::string& id) {
  auto found = store.get_integration(id);
  if (!found && found.error().code != core::Code::not_found) return found.error();
  // Another user's integration gets exactly the answer an unknown id gets.
  if (!found || !caller.may_act_for(found->user_id)) return unknown_integration();
  return found;
}

boost::asio::awaitable<core::Result<core::Integration>> find_integration(
    store::Store& store, core::BlockingPool& blocking, const core::Caller& caller,
    const IntegrationRef& ref) {
  if (ref.integration_id) {
    co_return co_await find_by_id(store, blocking, caller, *ref.integration_id);
  }
  auto user = account_user(caller, ref);
  if (!user) co_return user.error();
  const auto& provider = *ref.provider;
  auto listed = co_await blocking.run(
      [&store, &user, &provider] { return store.list_integrations(*user, provider); });
  if (!listed) co_return listed.error();
  auto chosen = the_one_live(*user, provider, live_ids_of(*listed));
  if (!chosen) co_return chosen.error();
  for (auto& integration : *listed) {
    if (integration.id == *chosen) co_return std::move(integration);
  }
  co_return unknown_integration();
}

core::Result<std::string> account_user(const core::Caller& caller, const IntegrationRef& ref) {
  if (!ref.provider) {
    return core::make_error(core::Code::invalid_request,
                            "name the integration: integration_id, or user_id and provider");
  }
  return resolve_user(caller, ref.user_id);
}

std::vector<std::string> live_ids_of(const std::vector<core::Integration>& integrations) {
  std::vector<std::string> live_ids;
  for (const auto& integration : integrations) {
    if (integration.status != core::IntegrationStatus::revoked) live_ids.push_back(integration.id);
  }
  return live_ids;
}

core::Error unknown_integration() {
  return core::make_error(core::Code::not_found, "no integration with this id");
}

core::Result<std::string> the_one_live(const std::string& user_id, const std::string& provider,
                                       const std::vector<std::string>& live_ids) {
  if (live_ids.empty()) {
    return core::make_error(core::Code::not_found,
                            fmt::format("{} has no {} integration", user_id, provider));
  }
  if (live_ids.size() > 1) {
    return core::make_error(
        core::Code::conflict,
        fmt::format("{} has several {} integrations; name one with integration_id: {}", user_id,
                    provider, fmt::join(live_ids, ", ")));
  }
  return live_ids.front();
}

core::Status announce(events::EventPublisher* publisher, store::Store& tx, const std::string& type,
                      const core::Integration& integration) {
  if (publisher == nullptr) return core::Status{};
  return publisher->publish(tx, type,
                            {{"integration_id", integration.id},
                             {"user_id", integration.user_id},
                             {"provider", integration.provider}});
}

}  // namespace oauth_manager::manager
