#include "manager/handout_lookup.hpp"

#include <algorithm>

namespace oauth_manager::manager {
namespace {

using Found = core::Result<HandoutCache::Shared>;

// Blocking: on the database pool.
core::Result<std::optional<core::TokenRecord>> stored_tokens(store::Store& store,
                                                             const std::string& id) {
  auto tokens = store.get_tokens(id);
  if (!tokens && tokens.error().code == core::Code::not_found) {
    return std::optional<core::TokenRecord>{};
  }
  if (!tokens) return tokens.error();
  return std::optional<core::TokenRecord>{std::move(*tokens)};
}

Found read_entry(store::Store& store, const core::Caller& caller, const std::string& id) {
  auto integration = owned_integration(store, caller, id);
  if (!integration) return integration.error();
  auto tokens = stored_tokens(store, id);
  if (!tokens) return tokens.error();
  return HandoutCache::Shared(std::make_shared<const HandoutEntry>(
      HandoutEntry{std::move(*integration), std::move(*tokens)}));
}

struct AccountRead {
  std::vector<std::string> live_ids;
  HandoutCache::Shared only;  // the entry of the one live integration, if just one
};

core::Result<AccountRead> read_account(store::Store& store, const std::string& user_id,
                                       const std::string& provider) {
  auto listed = store.list_integrations(user_id, provider);
  if (!listed) return listed.error();
  AccountRead read{live_ids_of(*listed), nullptr};
  if (read.live_ids.size() != 1) return read;
  auto only = std::find_if(listed->begin(), listed->end(), [&read](const auto& listed_one) {
    return listed_one.id == read.live_ids[0];
  });
  auto tokens = stored_tokens(store, only->id);
  if (!tokens) return tokens.error();
  read.only =
      std::make_shared<const HandoutEntry>(HandoutEntry{std::move(*only), std::move(*tokens)});
  return read;
}

boost::asio::awaitable<Found> entry_by_id(store::Store& store, core::BlockingPool& blocking,
                                          HandoutCache* cache, const core::Caller& caller,
                                          const std::string& id) {
  if (cache != nullptr) {
    if (auto hit = cache->find(id)) {
      if (!caller.may_act_for(hit->integration.user_id)) co_return unknown_integration();
      co_return hit;
    }
  }
  const auto ticket = cache != nullptr ? cache->ticket() : HandoutCache::Ticket{};
  auto read =
      co_await blocking.run([&store, &caller, &id] { return read_entry(store, caller, id); });
  if (read && cache != nullptr) cache->put(ticket, *read);
  co_return read;
}

boost::asio::awaitable<Found> entry_by_account(store::Store& store, core::BlockingPool& blocking,
                                               HandoutCache* cache, const std::string& user_id,
                                               const std::string& provider,
                                               const core::Caller& caller) {
  if (cache != nullptr) {
    if (auto ids = cache->find_live_ids(user_id, provider)) {
      auto chosen = the_one_live(user_id, provider, *ids);
      if (!chosen) co_return chosen.error();
      co_return co_await entry_by_id(store, blocking, cache, caller, *chosen);
    }
  }
  const auto ticket = cache != nullptr ? cache->ticket() : HandoutCache::Ticket{};
  auto read = co_await blocking.run(
      [&store, &user_id, &provider] { return read_account(store, user_id, provider); });
  if (!read) co_return read.error();
  if (cache != nullptr) {
    cache->put_live_ids(ticket, user_id, provider, read->live_ids);
    if (read->only) cache->put(ticket, read->only);
  }
  auto chosen = the_one_live(user_id, provider, read->live_ids);
  if (!chosen) co_return chosen.error();
  co_return std::move(read->only);
}

}  // namespace

boost::asio::awaitable<Found> find_for_handout(store::Store& store, core::BlockingPool& blocking,
                                               HandoutCache* cache, const core::Caller& caller,
                                               const IntegrationRef& ref) {
  if (ref.integration_id) {
    co_return co_await entry_by_id(store, blocking, cache, caller, *ref.integration_id);
  }
  auto user = account_user(caller, ref);
  if (!user) co_return user.error();
  co_return co_await entry_by_account(store, blocking, cache, *user, *ref.provider, caller);
}

}  // namespace oauth_manager::manager
