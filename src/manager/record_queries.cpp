#include "manager/record_queries.hpp"

#include "manager/integration_lookup.hpp"

namespace oauth_manager::manager {

core::Result<IntegrationView> RecordQueries::view_of(core::Integration integration) {
  IntegrationView view{std::move(integration), std::nullopt};
  auto tokens = store_.get_tokens(view.integration.id);
  if (tokens) {
    view.expires_at = tokens->expires_at;
  } else if (tokens.error().code != core::Code::not_found) {
    return tokens.error();
  }
  return view;
}

boost::asio::awaitable<core::Result<std::vector<IntegrationView>>> RecordQueries::integrations(
    const core::Caller& caller, const std::optional<std::string>& user_id) {
  auto user = resolve_user(caller, user_id);
  if (!user) co_return user.error();
  co_return co_await blocking_.run([this, &user]() -> core::Result<std::vector<IntegrationView>> {
    auto listed = store_.list_integrations(*user, std::nullopt);
    if (!listed) return listed.error();
    std::vector<IntegrationView> views;
    for (auto& integration : *listed) {
      auto view = view_of(std::move(integration));
      if (!view) return view.error();
      views.push_back(std::move(*view));
    }
    return views;
  });
}

boost::asio::awaitable<core::Result<IntegrationView>> RecordQueries::integration(
    const core::Caller& caller, const std::string& id) {
  co_return co_await blocking_.run([this, &caller, &id]() -> core::Result<IntegrationView> {
    auto found = owned_integration(store_, caller, id);
    if (!found) return found.error();
    return view_of(std::move(*found));
  });
}

boost::asio::awaitable<core::Result<std::vector<core::Consent>>> RecordQueries::consents(
    const core::Caller& caller, const std::optional<std::string>& user_id) {
  auto user = resolve_user(caller, user_id);
  if (!user) co_return user.error();
  co_return co_await blocking_.run([this, &user] { return store_.list_consents(*user); });
}

boost::asio::awaitable<core::Result<AuditPage>> RecordQueries::audit(const core::Caller& caller,
                                                                     store::AuditQuery query) {
  if (!caller.may_act_for_anyone()) {
    auto user = resolve_user(caller, query.user_id);
    if (!user) co_return user.error();
    query.user_id = *user;
  }
  const int limit = query.limit;
  query.limit = limit + 1;  // one more than asked tells whether another page exists
  auto events = co_await blocking_.run([this, &query] {
    // Queued token reads are part of the trail already: write them before reading it.
    if (auto flushed = audit_.flush(); !flushed)
      return core::Result<std::vector<core::AuditEvent>>(flushed.error());
    return store_.list_audit(query);
  });
  if (!events) co_return events.error();
  AuditPage page{std::move(*events), std::nullopt};
  if (static_cast<int>(page.events.size()) > limit) {
    page.events.resize(static_cast<std::size_t>(limit));
    page.next_after_seq = page.events.back().seq;
  }
  co_return page;
}

boost::asio::awaitable<core::Result<store::ChainVerification>> RecordQueries::verify_audit(
    const core::Caller& caller) {
  if (!caller.may_act_for_anyone()) {
    co_return core::make_error(core::Code::forbidden,
                               "verifying the whole audit chain needs users:any (or admin)");
  }
  co_return co_await blocking_.run([this]() -> core::Result<store::ChainVerification> {
    if (auto flushed = audit_.flush(); !flushed) return flushed.error();
    return store::verify_audit_chain(store_);
  });
}

}  // namespace oauth_manager::manager
