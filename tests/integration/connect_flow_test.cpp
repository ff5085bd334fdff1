// The connect flow end to end against a real, independently written OpenID Connect server
// (panva/oidc-provider on 127.0.0.1): authorize, the browser through login and consent, the
// callback, the stored integration and its encrypted tokens, consent and audit; on SQLite and
// on PostgreSQL.
#include <gtest/gtest.h>

#include "core/text.hpp"

#include <fstream>
#include <sstream>

#include "core/clock.hpp"
#include "crypto/encoding.hpp"

#include <set>
#include <thread>
#include "connect_flow_fixture.hpp"
#include "manager/token_vault.hpp"
#include "net/url.hpp"
#include "support/api_harness.hpp"
#include "support/browser.hpp"
#include "support/eventually.hpp"
#include "support/in_process_server.hpp"
#include "support/manual_clock.hpp"
#include "support/oidc_provider_peer.hpp"
#include "support/raw_http.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {
namespace {

TEST_P(ConnectFlowTest, AUserConnectsAnAccountAndItsTokensAreStoredEncrypted) {
  const auto page = connect("alice", {{"return_to", std::string(kReturnTo) + "?tab=1"}});
  ASSERT_TRUE(page.location) << page.status << " " << page.url << " " << page.body;
  ASSERT_EQ(page.location->rfind(kReturnTo, 0), 0U) << *page.location;
  const auto back = testing::query_params(*page.location);
  EXPECT_EQ(back.at("tab"), "1");
  EXPECT_EQ(back.at("status"), "connected");
  const auto integration_id = back.at("integration_id");

  // The authorization request we sent (where our start link, the first URL, led): PKCE S256,
  // state, nonce, the exact redirect URI.
  ASSERT_NE(browser_.history().front().find("/v1/oauth/start/"), std::string::npos);
  const auto authorize = testing::query_params(browser_.history().at(1));
  EXPECT_EQ(authorize.at("code_challenge_method"), "S256");
  EXPECT_EQ(authorize.at("code_challenge").size(), 43U);
  EXPECT_EQ(authorize.at("state").size(), 43U);
  EXPECT_EQ(authorize.at("nonce").size(), 43U);
  EXPECT_EQ(authorize.at("redirect_uri"), callback_);

  const auto alice = api_->token("alice", {"user"});
  const auto listed = api_->get("/v1/integrations", alice);
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["integrations"].size(), 1U);
  const auto& integration = listed.body["integrations"][0];
  EXPECT_EQ(integration["id"], integration_id);
  EXPECT_EQ(integration["provider"], "testidp");
  EXPECT_EQ(integration["status"], "active");
  EXPECT_EQ(integration["account"]["id"], "test-user");
  EXPECT_EQ(integration["account"]["email"], "test-user@example.test");
  EXPECT_EQ(integration["account"]["name"], "Test User test-user");
  EXPECT_TRUE(integration["expires_at"].is_string());
  EXPECT_EQ(listed.raw.find("access_token"), std::string::npos);

  const auto consents = api_->get("/v1/consents", alice);
  ASSERT_EQ(consents.body["consents"].size(), 1U);
  EXPECT_EQ(consents.body["consents"][0]["integration_id"], integration_id);
  EXPECT_EQ(consents.body["consents"][0]["user_agent"], "oauth-manager-test-browser");

  // The tokens are real (the provider accepts the access token) and stored only encrypted.
  auto record = api_->store().get_tokens(integration_id);
  ASSERT_TRUE(record);
  const manager::TokenVault vault(api_->service().keyring());
  const auto tokens = vault.open(*record);
  ASSERT_TRUE(tokens) << tokens.error().message;
  ASSERT_TRUE(tokens->refresh_token);
  const auto me = testing::http_exchange(
      peer_->port(), "GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                         tokens->access_token + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(testing::status_of(me), 200) << me;
  const auto bytes = stored_bytes();
  ASSERT_FALSE(bytes.empty());
  EXPECT_NE(bytes.find(integration_id), std::string::npos) << "the dump must contain the rows";
  EXPECT_EQ(bytes.find(tokens->access_token), std::string::npos);
  EXPECT_EQ(bytes.find(*tokens->refresh_token), std::string::npos);

  const auto events = api_->audit_events();
  const auto connected = std::find_if(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.connected";
  });
  ASSERT_NE(connected, events.end());
  EXPECT_EQ(connected->actor, "sub:alice");
  EXPECT_EQ(connected->integration_id, integration_id);
  EXPECT_EQ(connected->details.find(tokens->access_token), std::string::npos);
  EXPECT_EQ(peer_->stats()["authorization_code"], 1);
}

TEST_P(ConnectFlowTest, ReconnectingTheSameAccountUpdatesASecondAccountAdds) {
  ASSERT_TRUE(connect("alice", {{"return_to", kReturnTo}}).location);
  ASSERT_TRUE(connect("alice", {{"return_to", kReturnTo}}).location);
  browser_ = Browser();  // signed out at the provider, so it asks who logs in
  ASSERT_TRUE(connect("alice", {{"return_to", kReturnTo}}, "second-account").location);
  const auto listed = api_->get("/v1/integrations", api_->token("alice", {"user"}));
  ASSERT_EQ(listed.body["integrations"].size(), 2U) << listed.raw;
  EXPECT_EQ(api_->get("/v1/consents", api_->token("alice", {"user"})).body["consents"].size(), 3U);
}

TEST_P(ConnectFlowTest, WithoutReturnToTheCallbackAnswersJson) {
  const auto page = connect("bob", nlohmann::json::object());
  EXPECT_FALSE(page.location);
  ASSERT_EQ(page.status, 200) << page.body;
  const auto body = nlohmann::json::parse(page.body);
  EXPECT_EQ(body["status"], "connected");
  EXPECT_EQ(body["integration"]["account"]["id"], "test-user");
}

TEST_P(ConnectFlowTest, AUserWhoRefusesComesBackWithAccessDeniedAndNothingIsStored) {
  const auto page = connect("carol", {{"return_to", kReturnTo}}, "deny");
  ASSERT_TRUE(page.location) << page.body;
  const auto back = testing::query_params(*page.location);
  EXPECT_EQ(back.at("status"), "error");
  EXPECT_EQ(back.at("error"), "access_denied");
  EXPECT_TRUE(
      api_->get("/v1/integrations", api_->token("carol", {"user"})).body["integrations"].empty());
  const auto events = api_->audit_events();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.connect_failed" && event.outcome == "access_denied";
  }));
}

TEST_P(ConnectFlowTest, AReplayedCallbackIsRefused) {
  ASSERT_TRUE(connect("alice", {{"return_to", kReturnTo}}).location);
  // The browser's last request on 127.0.0.1 was our callback, with code and state.
  const auto callback_url = browser_.history().back();
  ASSERT_NE(callback_url.find("/v1/oauth/callback/testidp?"), std::string::npos);
  const auto replay = Browser().open(callback_url);
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(nlohmann::json::parse(replay.body)["code"], "state_invalid");
}

TEST_P(ConnectFlowTest, ACodeFromOneUsersFlowCannotCompleteAnotherUsersState) {
  // Alice starts connecting and stops; Bob's browser comes back from the provider with a code.
  // An attacker pairs Bob's code with Alice's state: PKCE ties the code to Bob's verifier, so the
  // provider refuses the exchange made with Alice's, and nobody gets an integration.
  const auto alices =
      api_->post("/v1/integrations/testidp/authorize", api_->token("alice", {"user"}),
                 nlohmann::json{{"return_to", kReturnTo}}.dump());
  Browser alices_browser;
  const auto alice_start =
      alices_browser.visit(alices.body["authorization_url"].get<std::string>());
  const auto alice_state = testing::query_params(alice_start.location.value_or("")).at("state");
  const auto bobs =
      api_->post("/v1/integrations/testidp/authorize", api_->token("bob", {"user"}), "{}");
  const auto page = browser_.open(bobs.body["authorization_url"].get<std::string>(), callback_);
  ASSERT_TRUE(page.location) << page.body;
  const auto bob_code = testing::query_params(*page.location).at("code");

  const auto iss = testing::query_params(*page.location).at("iss");
  // Sent from Alice's browser, so the browser binding holds and the exchange itself is tried.
  const auto mixed = alices_browser.open(
      callback_ + "?" +
      net::form_encode({{"code", bob_code}, {"state", alice_state}, {"iss", iss}}));
  ASSERT_TRUE(mixed.location) << mixed.status << mixed.body;
  const auto back = testing::query_params(*mixed.location);
  EXPECT_EQ(back.at("status"), "error");
  EXPECT_EQ(back.at("error"), "provider_error");
  EXPECT_TRUE(api_->store().list_integrations("alice", std::nullopt)->empty());
  EXPECT_TRUE(api_->store().list_integrations("bob", std::nullopt)->empty());
  EXPECT_EQ(peer_->stats()["authorization_code"], 0);
}

TEST_P(ConnectFlowTest, AMissingOrForeignIssIsRefusedForAProviderThatAlwaysSendsIt) {
  // oidc-provider advertises authorization_response_iss_parameter_supported (RFC 9207).
  for (const std::string& iss : {std::string(), std::string("https://evil.example")}) {
    SCOPED_TRACE(iss);
    const auto started =
        api_->post("/v1/integrations/testidp/authorize", api_->token("alice", {"user"}), "{}");
    Browser browser;
    const auto page = browser.open(started.body["authorization_url"].get<std::string>(), callback_);
    ASSERT_TRUE(page.location);
    auto params = testing::query_params(*page.location);
    std::vector<std::pair<std::string, std::string>> query = {{"code", params.at("code")},
                                                              {"state", params.at("state")}};
    if (!iss.empty()) query.emplace_back("iss", iss);
    const auto reply = browser.open(callback_ + "?" + net::form_encode(query));
    EXPECT_EQ(reply.status, 400) << reply.body;
    EXPECT_EQ(nlohmann::json::parse(reply.body)["code"], "invalid_request");
  }
  EXPECT_TRUE(api_->store().list_integrations("alice", std::nullopt)->empty());
  EXPECT_EQ(peer_->stats()["authorization_code"], 0);
}

// What the provider says to a refresh with `refresh_token` (its own token endpoint, our client).
int provider_refresh_status(OidcProviderPeer& peer, const std::string& refresh_token) {
  const OidcProviderPeer::Options client;
  const auto body =
      net::form_encode({{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}});
  const auto response = testing::http_exchange(
      peer.port(),
      "POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: Basic " +
          crypto::base64_encode(client.client_id + ":" + client.client_secret) +
          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  return testing::status_of(response);
}

TEST_P(ConnectFlowTest, ManyConcurrentRequestsForAnExpiringTokenCauseOneRefresh) {
  const auto page = connect("alice", {{"return_to", kReturnTo}});
  ASSERT_TRUE(page.location);
  const auto integration_id = testing::query_params(*page.location).at("integration_id");
  const manager::TokenVault vault(api_->service().keyring());
  const auto before = *vault.open(*api_->store().get_tokens(integration_id));

  clock_.advance(std::chrono::seconds(3600 - 30));  // the access token now expires in 30 s
  const auto service = api_->token("calendar-agent", {"service"});
  const auto request = nlohmann::json{{"integration_id", integration_id}}.dump();
  constexpr int kCallers = 200;
  std::vector<testing::Reply> replies(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] { replies[i] = api_->post("/v1/tokens", service, request); });
  }
  for (auto& caller : callers) caller.join();

  std::set<std::string> handed_out;
  for (const auto& reply : replies) {
    ASSERT_EQ(reply.status, 200) << reply.raw;
    handed_out.insert(reply.body["access_token"].get<std::string>());
  }
  EXPECT_EQ(handed_out.size(), 1U) << "every caller gets the same, new token";
  EXPECT_NE(*handed_out.begin(), before.access_token);
  EXPECT_EQ(peer_->stats()["refresh_token"], 1) << "exactly one refresh at the provider";

  const auto after = *vault.open(*api_->store().get_tokens(integration_id));
  EXPECT_EQ(after.access_token, *handed_out.begin());
  ASSERT_TRUE(after.refresh_token);
  EXPECT_NE(*after.refresh_token, *before.refresh_token) << "the provider rotated it";
  EXPECT_EQ(provider_refresh_status(*peer_, *before.refresh_token), 400)
      << "the old refresh token is dead at the provider, and we no longer hold it";

  // Reads are coalesced per caller, integration and minute, each row with its count: none lost.
  const auto events = api_->audit_events();
  std::int64_t reads = 0;
  for (const auto& event : events) {
    if (event.event != "token.read" || event.outcome != "ok" ||
        event.integration_id != integration_id) {
      continue;
    }
    EXPECT_EQ(event.actor, "sub:calendar-agent");
    reads += nlohmann::json::parse(event.details).value("count", 1);
  }
  EXPECT_EQ(reads, kCallers);
  for (const auto& event : events) {
    EXPECT_EQ(event.details.find(after.access_token), std::string::npos);
  }
  const auto integration =
      api_->get("/v1/integrations/" + integration_id, api_->token("alice", {"user"}));
  EXPECT_TRUE(integration.body["last_refreshed_at"].is_string()) << integration.raw;
}

TEST_P(ConnectFlowTest, AFreshTokenIsHandedOutWithoutARefresh) {
  const auto page = connect("alice", {{"return_to", kReturnTo}});
  ASSERT_TRUE(page.location);
  const auto service = api_->token("calendar-agent", {"service"});
  const auto reply = api_->post("/v1/tokens", service,
                                R"({"user_id":"alice","provider":"testidp","scopes":["email"]})");
  ASSERT_EQ(reply.status, 200) << reply.raw;
  EXPECT_EQ(reply.body["token_type"], "Bearer");
  EXPECT_EQ(reply.body["integration_id"],
            testing::query_params(*page.location).at("integration_id"));
  EXPECT_EQ(peer_->stats()["refresh_token"], 0);
  const auto missing = api_->post(
      "/v1/tokens", service, R"({"user_id":"alice","provider":"testidp","scopes":["calendar"]})");
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(missing.body["code"], "insufficient_scope");
  EXPECT_EQ(
      api_->post("/v1/tokens", api_->token("alice", {"user"}), R"({"provider":"testidp"})").status,
      403)
      << "a user role cannot read tokens";
  EXPECT_EQ(api_->post("/v1/tokens", service, R"({"user_id":"bob","provider":"testidp"})").status,
            404);
}

TEST_P(ConnectFlowTest, DisconnectRevokesTheGrantAtTheProvider) {
  const auto page = connect("alice", {{"return_to", kReturnTo}});
  ASSERT_TRUE(page.location);
  const auto integration_id = testing::query_params(*page.location).at("integration_id");
  const manager::TokenVault vault(api_->service().keyring());
  const auto tokens = *vault.open(*api_->store().get_tokens(integration_id));

  const auto request = "DELETE /v1/integrations/" + integration_id +
                       " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " +
                       api_->token("alice", {"user"}) + "\r\n\r\n";
  EXPECT_EQ(testing::status_of(testing::http_exchange(api_->port(), request)), 204);
  EXPECT_EQ(peer_->stats()["revoked"], 2) << "refresh token, then access token";
  EXPECT_EQ(provider_refresh_status(*peer_, *tokens.refresh_token), 400);
  const auto me = testing::http_exchange(
      peer_->port(), "GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                         tokens.access_token + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(testing::status_of(me), 401) << "the access token is dead too";
  const auto listed = api_->get("/v1/integrations", api_->token("alice", {"user"}));
  EXPECT_EQ(listed.body["integrations"][0]["status"], "revoked");
}

// --- The browser binding (RFC 9700 §4.7): a flow is finished only by the browser that began it ---

// Alice opens her start link, then sends the provider URL it led to to Bob, who logs in with
// his account. Bob's browser has no binding cookie: refused before any code exchange.
TEST_P(ConnectFlowTest, AProviderUrlFinishedInAnotherBrowserIsRefusedAndStoresNothing) {
  const auto started =
      api_->post("/v1/integrations/testidp/authorize", api_->token("alice", {"user"}),
                 nlohmann::json{{"return_to", kReturnTo}}.dump());
  const auto alices_start = browser_.visit(started.body["authorization_url"].get<std::string>());
  ASSERT_TRUE(alices_start.location) << alices_start.body;
  EXPECT_EQ(browser_.cookie_count(port_), 1U);

  Browser bobs_browser;
  const auto page = bobs_browser.open(*alices_start.location);
  EXPECT_EQ(page.status, 400) << page.body;
  EXPECT_EQ(nlohmann::json::parse(page.body)["code"], "browser_mismatch");
  EXPECT_TRUE(api_->store().list_integrations("alice", std::nullopt)->empty());
  EXPECT_EQ(peer_->stats()["authorization_code"], 0) << "refused before the exchange";
  const auto events = api_->audit_events();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.connect_failed" && event.outcome == "browser_mismatch" &&
           event.user_id == "alice";
  }));
  // The state is spent: Alice's own browser cannot use it afterwards either.
  const auto callback_url = bobs_browser.history().back();
  EXPECT_EQ(nlohmann::json::parse(browser_.open(callback_url).body)["code"], "state_invalid");
}

// A start link binds the first browser that opens it, and only that one.
TEST_P(ConnectFlowTest, AStartLinkOpensOnce) {
  const auto started =
      api_->post("/v1/integrations/testidp/authorize", api_->token("alice", {"user"}), "{}");
  const auto link = started.body["authorization_url"].get<std::string>();
  ASSERT_EQ(browser_.visit(link).status, 303);
  Browser other;
  const auto again = other.visit(link);
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_EQ(nlohmann::json::parse(again.body)["code"], "start_link_used");
  EXPECT_EQ(other.cookie_count(port_), 0U);
  EXPECT_EQ(browser_.visit(link).status, 400) << "not even twice in the same browser";
}

// Several flows at once in one browser: each has its own cookie, and each finishes.
TEST_P(ConnectFlowTest, SeveralFlowsOpenInOneBrowserEachFinish) {
  const auto first =
      api_->post("/v1/integrations/testidp/authorize", api_->token("alice", {"user"}), "{}");
  const auto second =
      api_->post("/v1/integrations/testidp/authorize", api_->token("alice", {"user"}), "{}");
  const auto first_start = browser_.visit(first.body["authorization_url"].get<std::string>());
  const auto second_start = browser_.visit(second.body["authorization_url"].get<std::string>());
  EXPECT_EQ(browser_.cookie_count(port_), 2U);
  EXPECT_EQ(browser_.open(*second_start.location).status, 200);
  const auto done = browser_.open(*first_start.location);
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(browser_.cookie_count(port_), 0U) << "each callback expires its cookie";
  EXPECT_EQ(peer_->stats()["authorization_code"], 2);
}

// Reconnecting in place: the same account updates the integration; another account is refused
// (never merged) and the grant it brought is revoked at the provider.
TEST_P(ConnectFlowTest, AReconnectKeepsTheIntegrationAndRefusesAnotherAccount) {
  const auto first = connect("alice", {{"return_to", kReturnTo}});
  ASSERT_TRUE(first.location) << first.body;
  const auto id = testing::query_params(*first.location).at("integration_id");
  const nlohmann::json reconnect = {{"return_to", kReturnTo}, {"integration_id", id}};
  const auto same = connect("alice", reconnect);
  ASSERT_TRUE(same.location) << same.body;
  EXPECT_EQ(testing::query_params(*same.location).at("integration_id"), id);

  browser_ = Browser();  // signed out at the provider: another account logs in
  const auto other = connect("alice", reconnect, "second-account");
  ASSERT_TRUE(other.location) << other.body;
  const auto back = testing::query_params(*other.location);
  EXPECT_EQ(back.at("status"), "error");
  EXPECT_EQ(back.at("error"), "account_mismatch");
  const auto listed = api_->get("/v1/integrations", api_->token("alice", {"user"}));
  ASSERT_EQ(listed.body["integrations"].size(), 1U) << listed.raw;
  EXPECT_EQ(listed.body["integrations"][0]["account"]["id"], "test-user");
  const auto events = api_->audit_events();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.connect_failed" && event.outcome == "account_mismatch";
  }));
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [&](const auto& event) {
    return event.event == "integration.authorize" && event.integration_id == id;
  })) << "the audit says which integration a reconnect was for";

  // The second account's grant is revoked at the provider, by the outbox.
  const auto revoked_before = peer_->stats()["revoked"].get<int>();
  api_->service().start_background(api_->io());
  EXPECT_TRUE(
      testing::eventually([&] { return peer_->stats()["revoked"].get<int>() > revoked_before; },
                          std::chrono::seconds(30)));
  api_->service().stop_background();

  // Another user cannot reconnect (or learn of) Alice's integration.
  const auto bobs = api_->post("/v1/integrations/testidp/authorize", api_->token("bob", {"user"}),
                               nlohmann::json{{"integration_id", id}}.dump());
  EXPECT_EQ(bobs.status, 404) << bobs.raw;

  // A disconnected integration is not reconnected: its revocations may still be on their way.
  const auto deleted = testing::http_exchange(
      port_, "DELETE /v1/integrations/" + id +
                 " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " +
                 api_->token("alice", {"user"}) + "\r\n\r\n");
  ASSERT_EQ(testing::status_of(deleted), 204) << deleted;
  const auto after = api_->post("/v1/integrations/testidp/authorize",
                                api_->token("alice", {"user"}), reconnect.dump());
  EXPECT_EQ(after.status, 400) << after.raw;
}

INSTANTIATE_TEST_SUITE_P(Backends, ConnectFlowTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace oauth_manager
