#include "manager/connect_sessions.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/ids.hpp"
#include "crypto/hash.hpp"
#include "crypto/pkce.hpp"
#include "manager/acting_user.hpp"
#include "manager/integration_lookup.hpp"
#include "manager/return_urls.hpp"
#include "net/url.hpp"

namespace oauth_manager::manager {
namespace {

// "cs_" tells a connect session's token from a JWT at a glance (and in a secret scanner).
constexpr std::string_view kTokenPrefix = "cs_";
constexpr std::size_t kTokenLength = 3 + 43;  // the prefix, then 32 random bytes base64url
constexpr std::size_t kMaxProviders = 50;

core::Error invalid(std::string message) {
  return core::make_error(core::Code::invalid_request, std::move(message));
}

}  // namespace

ConnectSessions::ConnectSessions(store::Store& store, core::BlockingPool& blocking,
                                 providers::ProviderRegistry& registry, const core::Clock& clock,
                                 core::RandomSource& random, ConnectSessionSettings settings)
    : store_(store),
      blocking_(blocking),
      registry_(registry),
      clock_(clock),
      random_(random),
      settings_(std::move(settings)) {}

core::Status ConnectSessions::check_providers(const std::vector<std::string>& providers) const {
  if (providers.size() > kMaxProviders) return invalid("\"providers\" lists too many providers");
  // Empty must not mean "all" by accident (a computed entitlement list that came out empty).
  if (providers.empty()) return invalid("\"providers\" is empty; leave it out to offer them all");
  const auto enabled = registry_.list();
  for (const auto& id : providers) {
    const bool known = std::any_of(enabled.begin(), enabled.end(),
                                   [&](const auto& provider) { return provider->spec.id == id; });
    if (!known) {
      return core::make_error(core::Code::provider_unknown,
                              fmt::format("provider \"{}\" is not enabled here (GET /v1/providers "
                                          "lists them)",
                                          id));
    }
  }
  return core::Status{};
}

boost::asio::awaitable<core::Result<NewConnectSession>> ConnectSessions::create(
    const core::Caller& caller, const ConnectSessionRequest& request) {
  auto user = resolve_user(caller, request.user_id);
  if (!user) co_return user.error();
  if (!settings_.flows_confirmed && !loopback_only()) {
    co_return core::make_error(
        core::Code::forbidden,
        "the hosted connect page needs [connect] confirm_url when public_url is not a loopback "
        "address: a connect_url forwarded to someone else would connect their account to this "
        "user (docs/security.md, \"Account linking\")");
  }
  NewConnectSession made;
  auto& session = made.session;
  if (request.providers) {
    if (auto checked = check_providers(*request.providers); !checked) co_return checked.error();
    session.providers = *request.providers;
  }
  if (request.return_to && !return_url_allowed(*request.return_to, settings_.allowed_return_urls)) {
    co_return invalid(
        "return_to is not one of the allowed return URLs ([server] allowed_return_urls)");
  }
  if (request.integration_id) {
    const auto& id = *request.integration_id;
    auto integration = co_await blocking_.run(
        [this, &caller, &id] { return owned_integration(store_, caller, id); });
    if (!integration) co_return integration.error();
    if (integration->user_id != *user) {
      co_return invalid("user_id names another user than the integration's");
    }
    if (!session.providers.empty() && !allows(session, integration->provider)) {
      co_return invalid("\"providers\" does not include the integration's provider");
    }
  }
  made.token = std::string(kTokenPrefix) + crypto::new_random_token(random_);
  session.id = core::new_id(random_);
  session.token_hash = crypto::sha256_hex(made.token);
  session.user_id = *user;
  session.return_to = request.return_to;
  session.integration_id = request.integration_id;
  session.created_by = caller.actor();
  session.created_at = clock_.now();
  session.expires_at = session.created_at + settings_.lifetime;
  auto inserted =
      co_await blocking_.run([this, &session] { return store_.insert_connect_session(session); });
  if (!inserted) co_return inserted.error();
  // In the fragment: browsers never send it to a server, so it stays out of access logs and
  // Referer headers; the page moves it to sessionStorage and clears the address bar.
  made.connect_url = page_url() + "#session=" + made.token;
  co_return made;
}

bool ConnectSessions::loopback_only() const {
  const auto url = net::parse_url(settings_.public_url);
  return url && url->loopback_host();
}

boost::asio::awaitable<core::Status> ConnectSessions::revoke(const core::Caller& caller,
                                                             const std::string& id) {
  const auto now = clock_.now();
  co_return co_await blocking_.run([this, &caller, &id, now]() -> core::Status {
    auto session = store_.get_connect_session(id);
    if (!session) return session.error();
    if (!caller.may_act_for(session->user_id)) {
      return core::make_error(core::Code::not_found, "no such connect session");
    }
    return store_.revoke_connect_session(id, now);
  });
}

boost::asio::awaitable<core::Result<core::ConnectSession>> ConnectSessions::authenticate(
    const std::string& token) {
  const auto refused =
      core::make_error(core::Code::unauthenticated,
                       "this connect session is unknown, has expired or was revoked; open the "
                       "connect page again from the application");
  if (token.size() != kTokenLength || token.rfind(kTokenPrefix, 0) != 0) co_return refused;
  const auto hash = crypto::sha256_hex(token);
  auto session =
      co_await blocking_.run([this, &hash] { return store_.find_connect_session(hash); });
  if (!session) {
    co_return session.error().code == core::Code::not_found ? refused : session.error();
  }
  if (session->revoked_at || session->expires_at <= clock_.now()) co_return refused;
  co_return session;
}

core::Caller ConnectSessions::caller_of(const core::ConnectSession& session) {
  core::Caller caller;
  caller.subject = session.user_id;
  caller.roles = {"connect_session"};
  caller.granted = {core::Permission::integrations_read, core::Permission::integrations_write};
  caller.connect_session_id = session.id;
  return caller;
}

bool ConnectSessions::allows(const core::ConnectSession& session, const std::string& provider) {
  return session.providers.empty() || std::find(session.providers.begin(), session.providers.end(),
                                                provider) != session.providers.end();
}

}  // namespace oauth_manager::manager
