#include "manager/connect_flow.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/ids.hpp"
#include "core/scopes.hpp"
#include "crypto/hash.hpp"
#include "crypto/pkce.hpp"
#include "log/logger.hpp"
#include "manager/acting_user.hpp"
#include "manager/integration_lookup.hpp"
#include "manager/return_urls.hpp"
#include "manager/token_revoker.hpp"
#include "net/url.hpp"
#include "providers/callback_rules.hpp"
#include "providers/id_token.hpp"

namespace oauth_manager::manager {
namespace {

constexpr std::size_t kStateLength = 43;  // 32 random bytes, base64url

core::Error invalid(std::string message) {
  return core::make_error(core::Code::invalid_request, std::move(message));
}

core::Error state_invalid(std::string message) {
  return core::make_error(core::Code::state_invalid, std::move(message));
}

std::string verifier_associated_data(const std::string& state_hash) {
  return "state/" + state_hash + "/pkce_verifier";
}

std::string start_url_associated_data(const std::string& state_hash) {
  return "state/" + state_hash + "/start_url";
}

// The path of the provider's callback URL ("/" if it does not parse; the configuration checked
// it).
std::string callback_path(const std::string& redirect_uri) {
  const auto parsed = net::parse_url(redirect_uri);
  return parsed ? parsed->path() : "/";
}

std::string joined(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

}  // namespace

struct ConnectFlow::Exchange {
  providers::ProviderHandle handle;
  providers::TokenResponse tokens;
  std::string account_id;
  std::optional<std::string> email;
  std::optional<std::string> name;
};

ConnectFlow::ConnectFlow(store::Store& store, core::BlockingPool& blocking,
                         providers::ProviderRegistry& registry, const crypto::Keyring& keyring,
                         ConnectionWriter& writer, events::AuditWriter& audit,
                         const core::Clock& clock, core::RandomSource& random,
                         ConnectSettings settings)
    : store_(store),
      blocking_(blocking),
      registry_(registry),
      keyring_(keyring),
      vault_(keyring),
      writer_(writer),
      audit_(audit),
      clock_(clock),
      random_(random),
      settings_(std::move(settings)) {}

boost::asio::awaitable<core::Result<ConnectStart>> ConnectFlow::start(
    const core::Caller& caller, const ConnectRequest& request) {
  auto user = resolve_user(caller, request.user_id);
  if (!user) co_return user.error();
  std::optional<std::string> reconnect;
  if (request.integration_id) {
    auto integration = co_await reconnected_integration(caller, request);
    if (!integration) co_return integration.error();
    user = integration->user_id;
    reconnect = integration->id;
  }
  auto handle = co_await registry_.get(request.provider);
  if (!handle) co_return handle.error();
  const auto& provider = *handle->provider;

  const auto scopes = request.scopes.value_or(provider.requested_by_default);
  std::vector<std::string> unknown;
  for (const auto& scope : scopes) {
    if (!provider.allows_scope(scope)) unknown.push_back(scope);
  }
  if (!unknown.empty()) {
    co_return invalid(
        fmt::format("{} does not offer these scopes here: {} (GET /v1/providers "
                    "lists them)",
                    provider.spec.id, joined(unknown)));
  }
  if (request.return_to && !return_url_allowed(*request.return_to, settings_.allowed_return_urls)) {
    co_return invalid(
        "return_to is not one of the allowed return URLs ([server] "
        "allowed_return_urls)");
  }

  const auto state_value = crypto::new_random_token(random_);
  const auto verifier = crypto::new_pkce_verifier(random_);
  core::AuthState state;
  state.state_hash = crypto::sha256_hex(state_value);
  state.user_id = *user;
  state.provider = provider.spec.id;
  state.pkce_verifier_ciphertext =
      keyring_.encrypt(verifier, verifier_associated_data(state.state_hash));
  if (provider.spec.is_openid()) state.nonce = crypto::new_random_token(random_);
  state.requested_scopes = scopes;
  state.return_to = request.return_to;
  state.reconnect_integration_id = reconnect;
  state.created_at = clock_.now();
  state.expires_at = state.created_at + settings_.state_lifetime;
  providers::AuthorizationRequest authorization{state_value, std::nullopt, state.nonce, scopes};
  if (provider.spec.pkce) authorization.code_challenge = crypto::pkce_s256_challenge(verifier);
  state.start_url_ciphertext =
      keyring_.encrypt(providers::authorization_url(provider, authorization),
                       start_url_associated_data(state.state_hash));
  const auto flow_id = crypto::new_random_token(random_);
  state.flow_hash = crypto::sha256_hex(flow_id);
  auto inserted = co_await blocking_.run([this, &state] { return store_.insert_state(state); });
  if (!inserted) co_return inserted.error();
  co_return ConnectStart{settings_.public_url + "/v1/oauth/start/" + flow_id, state.expires_at,
                         *user};
}

boost::asio::awaitable<core::Result<core::Integration>> ConnectFlow::reconnected_integration(
    const core::Caller& caller, const ConnectRequest& request) {
  const auto& id = *request.integration_id;
  auto integration = co_await blocking_.run(
      [this, &caller, &id] { return owned_integration(store_, caller, id); });
  if (!integration) co_return integration.error();
  if (integration->provider != request.provider) {
    co_return invalid(fmt::format("integration {} is a {} integration, not {}", id,
                                  integration->provider, request.provider));
  }
  if (request.user_id && *request.user_id != integration->user_id) {
    co_return invalid("user_id names another user than the integration's");
  }
  // A disconnected integration's revocations may still be on their way to the provider: a new
  // grant made under it could be revoked by them. Connect a new integration instead.
  if (integration->status == core::IntegrationStatus::revoked) {
    co_return invalid(fmt::format(
        "integration {} was disconnected; connect a new integration instead of reconnecting it",
        id));
  }
  co_return integration;
}

boost::asio::awaitable<core::Result<void>> ConnectFlow::check_same_account(
    const core::AuthState& state, const Exchange& exchange) {
  if (!state.reconnect_integration_id) co_return core::Status{};
  const auto& id = *state.reconnect_integration_id;
  auto integration = co_await blocking_.run([this, &id] { return store_.get_integration(id); });
  if (!integration) co_return integration.error();
  if (integration->provider_account_id == exchange.account_id) co_return core::Status{};
  // Never merged: the grant this flow got belongs to an account nobody asked to connect here,
  // so it is revoked (sealed to the integration it claimed to reconnect, for the audit). Unless
  // this user holds that account in another integration: Google revokes the whole grant of an
  // account and client, which would kill that integration too.
  const auto& user = integration->user_id;
  const auto& provider_id = integration->provider;
  auto siblings = co_await blocking_.run(
      [this, &user, &provider_id] { return store_.list_integrations(user, provider_id); });
  const bool held_elsewhere =
      siblings && std::any_of(siblings->begin(), siblings->end(), [&](const auto& sibling) {
        return sibling.provider_account_id == exchange.account_id &&
               sibling.status != core::IntegrationStatus::revoked;
      });
  if (held_elsewhere) {
    log::warn("connect.mismatch_not_revoked",
              {{"integration_id", id}, {"reason", "the account is another integration"}});
  } else if (outbox_ != nullptr && exchange.handle.provider->spec.revocation_endpoint) {
    TokenSet tokens;
    tokens.access_token = exchange.tokens.access_token;
    tokens.refresh_token = exchange.tokens.refresh_token;
    const auto sealed = vault_.seal(id, tokens, clock_.now());
    const auto jobs = TokenRevoker::jobs_for(*integration, sealed, *outbox_, /*leased=*/false);
    if (auto queued = co_await outbox_->enqueue_now(jobs); !queued) {
      log::error("connect.mismatch_revocation_failed",
                 {{"integration_id", id}, {"error", queued.error().message}});
    }
  }
  co_return core::make_error(core::Code::account_mismatch,
                             "the provider account that came back is not the one this "
                             "integration holds; sign in with that account to reconnect it, or "
                             "connect a new integration");
}

bool ConnectFlow::binding_is_secure() const {
  return settings_.public_url.rfind("https://", 0) == 0;
}

boost::asio::awaitable<core::Result<BrowserStart>> ConnectFlow::open_start_link(
    const std::string& flow_id) {
  const auto used = core::make_error(core::Code::start_link_used,
                                     "this connect link was already opened, has expired or does "
                                     "not exist; start the connection again from the application");
  if (flow_id.size() != kStateLength) co_return used;
  BrowserStart start;
  start.cookie.value = crypto::new_random_token(random_);
  const auto flow_hash = crypto::sha256_hex(flow_id);
  const auto browser_hash = crypto::sha256_hex(start.cookie.value);
  const auto now = clock_.now();
  auto state = co_await blocking_.run([this, &flow_hash, &browser_hash, now] {
    return store_.bind_state_to_browser(flow_hash, browser_hash, now);
  });
  if (!state) co_return state.error().code == core::Code::not_found ? used : state.error();
  auto provider_url =
      keyring_.decrypt(state->start_url_ciphertext, start_url_associated_data(state->state_hash));
  if (!provider_url) co_return provider_url.error();
  auto handle = co_await registry_.get(state->provider);
  if (!handle) co_return handle.error();
  start.provider_url = std::move(*provider_url);
  start.cookie.secure = binding_is_secure();
  start.cookie.name = binding_cookie_name(state->state_hash, start.cookie.secure);
  start.cookie.path =
      binding_cookie_path(start.cookie.secure, callback_path(handle->provider->redirect_uri));
  start.cookie.max_age = std::chrono::ceil<std::chrono::seconds>(state->expires_at - now);
  co_return start;
}

boost::asio::awaitable<core::Result<core::AuthState>> ConnectFlow::consume_state(
    const CallbackRequest& request) {
  if (!request.state || request.state->size() != kStateLength) {
    co_return state_invalid("the callback carries no valid state");
  }
  const auto hash = crypto::sha256_hex(*request.state);
  const auto now = clock_.now();
  auto state =
      co_await blocking_.run([this, &hash, now] { return store_.consume_state(hash, now); });
  if (!state && state.error().code == core::Code::not_found) {
    co_return state_invalid("the state is unknown or was already used; start the connection again");
  }
  if (!state) co_return state.error();
  // Consumed above in every case: a state is single-use even when it is refused here.
  if (state->provider != request.provider) {
    co_return state_invalid("the state was made for another provider");
  }
  if (state->expires_at <= now) {
    co_return core::make_error(core::Code::state_expired,
                               "the authorization took too long; start the connection again");
  }
  // Before anything else, the token exchange included: the browser finishing the flow must be
  // the one that opened its start link.
  if (!browser_matches(*state, request.cookies, binding_is_secure())) {
    // Named arguments, not temporaries inside the co_await (g++ 12 destroys those twice).
    const std::string event = "integration.connect_failed";
    const std::string outcome = "browser_mismatch";
    const std::optional<std::string> no_integration;
    const nlohmann::json details = {{"provider", request.provider}, {"reason", outcome}};
    co_await audit(request, *state, event, outcome, no_integration, details);
    co_return core::make_error(core::Code::browser_mismatch,
                               "this connection was started in another browser (or its cookie "
                               "was blocked); start it again in this browser");
  }
  co_return std::move(*state);
}

boost::asio::awaitable<core::Result<CallbackOutcome>> ConnectFlow::finish(
    const CallbackRequest& request) {
  auto state = co_await consume_state(request);
  if (!state) co_return state.error();
  CallbackOutcome outcome;
  outcome.return_to = state->return_to;
  // Audit arguments are named values: g++ 12 destroys temporaries of a co_await expression
  // twice (GCC bug 99576), and rejects braced JSON literals there.
  nlohmann::json details = {{"provider", request.provider}};
  const std::string failed_event = "integration.connect_failed";
  const std::optional<std::string> no_integration;
  if (request.error) {
    outcome.error = providers::sanitized_error_code(*request.error);
    // The user saying no is a refusal, not a provider failure worth retrying.
    outcome.failure = core::make_error(
        *outcome.error == "access_denied" ? core::Code::forbidden : core::Code::provider_error,
        fmt::format("the provider reported {}", *outcome.error));
    details["reason"] = "the provider reported an error";
    co_await audit(request, *state, failed_event, *outcome.error, no_integration, details);
    co_return outcome;
  }
  auto connection = co_await connect(request, *state);
  core::Status completed = core::Status{};
  if (connection) {
    completed = co_await complete(*state, *connection, outcome);
  } else {
    completed = connection.error();
  }
  if (!completed) {
    outcome.error = std::string(core::code_name(completed.error().code));
    outcome.failure = completed.error();
    details["reason"] = completed.error().message;
    co_await audit(request, *state, failed_event, *outcome.error, no_integration, details);
    log::warn("connect.failed", {{"provider", request.provider},
                                 {"error", completed.error().message},
                                 {"request_id", request.request_id.value_or("")}});
    co_return outcome;
  }
  if (outcome.confirm_url) {
    const std::string held_event = "integration.confirmation_pending";
    const std::string ok = "ok";
    co_await audit(request, *state, held_event, ok, no_integration, details);
    co_return outcome;
  }
  details["scopes"] = outcome.integration->granted_scopes;
  const std::string connected_event = "integration.connected";
  const std::string ok = "ok";
  const std::optional<std::string> connected_id = outcome.integration->id;
  co_await audit(request, *state, connected_event, ok, connected_id, details);
  co_return outcome;
}

boost::asio::awaitable<core::Result<NewConnection>> ConnectFlow::connect(
    const CallbackRequest& request, const core::AuthState& state) {
  auto handle = co_await registry_.get(request.provider);
  if (!handle) co_return handle.error();
  const auto& provider = *handle->provider;
  if (auto issuer = providers::check_callback_issuer(provider.spec, request.iss); !issuer) {
    co_return issuer.error();
  }
  if (!request.code || request.code->empty()) co_return invalid("the callback carries no code");
  auto verifier =
      keyring_.decrypt(state.pkce_verifier_ciphertext, verifier_associated_data(state.state_hash));
  if (!verifier) co_return verifier.error();

  Exchange exchange;
  exchange.handle = *handle;
  std::optional<std::string> code_verifier;
  if (provider.spec.pkce) code_verifier = std::move(*verifier);
  auto tokens = co_await handle->oauth->exchange_code(provider, *request.code, code_verifier);
  if (!tokens) co_return tokens.error();
  exchange.tokens = std::move(*tokens);

  nlohmann::json account_source;
  std::optional<std::string> id_token_subject;
  if (provider.spec.is_openid() && exchange.tokens.id_token && handle->id_token_keys != nullptr) {
    auto claims = co_await providers::validate_id_token(
        provider, *exchange.tokens.id_token, state.nonce, *handle->id_token_keys, clock_.now());
    if (!claims) co_return claims.error();
    id_token_subject = claims->value("sub", "");
    account_source = std::move(*claims);
  } else if (provider.spec.account_source == providers::AccountSource::id_token) {
    co_return core::make_error(core::Code::provider_error,
                               "the provider answered without the id_token it must send");
  }
  if (provider.spec.account_source == providers::AccountSource::userinfo) {
    auto userinfo = co_await handle->oauth->userinfo(provider, exchange.tokens.access_token);
    if (!userinfo) co_return userinfo.error();
    // OIDC Core §5.3.2: userinfo about someone else than the id_token is a substitution attack.
    if (id_token_subject && userinfo->value("sub", "") != *id_token_subject) {
      co_return core::make_error(core::Code::provider_error,
                                 "userinfo describes another subject than the id_token");
    }
    account_source = std::move(*userinfo);
  } else if (provider.spec.account_source == providers::AccountSource::token_response) {
    account_source = exchange.tokens.raw;
  }
  const auto account_id = providers::account_id(account_source, provider.spec.account);
  if (!account_id) {
    co_return core::make_error(core::Code::provider_error,
                               "the provider's answer does not name the account");
  }
  exchange.account_id = *account_id;
  exchange.email = providers::account_field(account_source, provider.spec.account.email);
  exchange.name = providers::account_field(account_source, provider.spec.account.name);
  if (auto same = co_await check_same_account(state, exchange); !same) co_return same.error();
  co_return new_connection(request, state, exchange);
}

NewConnection ConnectFlow::new_connection(const CallbackRequest& request,
                                          const core::AuthState& state, Exchange& exchange) const {
  const auto now = clock_.now();
  NewConnection connection;
  auto& integration = connection.integration;
  integration.id = core::new_id(random_);
  integration.user_id = state.user_id;
  integration.provider = state.provider;
  integration.provider_account_id = exchange.account_id;
  integration.account_email = exchange.email;
  integration.account_name = exchange.name;
  integration.granted_scopes = providers::granted_scopes(exchange.tokens, state.requested_scopes);
  integration.created_at = now;
  integration.updated_at = now;
  auto& tokens = connection.tokens;
  tokens.access_token = std::move(exchange.tokens.access_token);
  tokens.refresh_token = std::move(exchange.tokens.refresh_token);
  tokens.token_type = exchange.tokens.token_type;
  if (exchange.tokens.expires_in) {
    tokens.expires_at = now + std::chrono::seconds(*exchange.tokens.expires_in);
  }
  connection.requested_scopes = state.requested_scopes;
  connection.ip = request.ip;
  connection.user_agent = request.user_agent;
  return connection;
}

boost::asio::awaitable<core::Result<void>> ConnectFlow::complete(const core::AuthState& state,
                                                                 NewConnection& connection,
                                                                 CallbackOutcome& outcome) {
  if (confirmation_ != nullptr && confirmation_->enabled()) {
    auto held = co_await confirmation_->hold(connection, state.return_to);
    if (!held) co_return held.error();
    outcome.confirm_url = std::move(*held);
    co_return core::Status{};
  }
  // One transaction: the integration, its tokens and its consent commit together, so a crash
  // half-way never leaves an integration that looks connected without tokens.
  const auto now = clock_.now();
  std::optional<core::Integration> connected;
  auto committed = co_await blocking_.run([&] {
    return store_.transact([&](store::Store& tx) -> core::Status {
      auto stored = writer_.write(tx, connection, now);
      if (!stored) return stored.error();
      connected = std::move(*stored);
      return core::Status{};
    });
  });
  if (!committed) co_return committed.error();
  writer_.committed();
  outcome.integration = std::move(connected);
  co_return core::Status{};
}

boost::asio::awaitable<void> ConnectFlow::audit(const CallbackRequest& request,
                                                const core::AuthState& state,
                                                const std::string& event,
                                                const std::string& outcome,
                                                const std::optional<std::string>& integration_id,
                                                nlohmann::json details) {
  core::AuditEvent record;
  record.actor = "sub:" + state.user_id;
  record.event = event;
  record.user_id = state.user_id;
  record.integration_id = integration_id;
  record.outcome = outcome;
  record.request_id = request.request_id;
  record.ip = request.ip;
  record.details = details.dump();
  if (auto written = co_await audit_.record(std::move(record)); !written) {
    log::error("audit.write_failed", {{"event", event}, {"error", written.error().message}});
  }
}

}  // namespace oauth_manager::manager
