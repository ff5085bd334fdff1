// Connect sessions: the application's backend makes one for a user, and the hosted connect page
// acts with its token for that user only, with no more than the page needs (list the allowed
// providers and the user's integrations, connect, reconnect, disconnect). Against the real OIDC
// peer, on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "connect_flow_fixture.hpp"
#include "support/raw_http.hpp"

namespace oauth_manager {
namespace {

class ConnectSessionTest : public ConnectFlowTest {
 protected:
  struct Session {
    std::string id;
    std::string token;
  };

  Session make_session(const std::string& user, const nlohmann::json& body) {
    const auto made = api_->post("/v1/connect-sessions", api_->token(user, {"user"}), body.dump());
    EXPECT_EQ(made.status, 201) << made.raw;
    return {made.body.value("id", ""), made.body.value("token", "")};
  }

  testing::Reply page_get(const Session& session) {
    return api_->get("/v1/connect/session", session.token);
  }

  // The connect page's "Connect" button, then the browser through the provider and back to the
  // page (not followed: the page is a script).
  Browser::Page connect_from_page(const Session& session, const nlohmann::json& body,
                                  const std::string& login_hint = "") {
    const auto started = api_->post("/v1/connect/session/authorize", session.token, body.dump());
    EXPECT_EQ(started.status, 201) << started.raw;
    auto url = browser_.visit(started.body.value("authorization_url", "")).location.value_or("");
    if (!login_hint.empty()) url = net::with_query(url, {{"login_hint", login_hint}});
    return browser_.open(url, page_url());
  }

  std::string page_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/connect"; }
};

TEST_P(ConnectSessionTest, ThePageListsConnectsAndDisconnectsForItsUser) {
  const auto made = api_->post("/v1/connect-sessions", api_->token("alice", {"user"}),
                               nlohmann::json{{"return_to", kReturnTo}}.dump());
  ASSERT_EQ(made.status, 201) << made.raw;
  const Session session{made.body["id"], made.body["token"]};
  EXPECT_EQ(session.token.rfind("cs_", 0), 0U);
  EXPECT_EQ(made.body["connect_url"], page_url() + "#session=" + session.token)
      << "the token rides in the fragment, which no server sees";
  EXPECT_TRUE(made.body.contains("expires_at"));

  auto described = page_get(session);
  ASSERT_EQ(described.status, 200) << described.raw;
  EXPECT_EQ(described.body["user_id"], "alice");
  EXPECT_EQ(described.body["return_to"], kReturnTo);
  ASSERT_EQ(described.body["providers"].size(), 1U);
  EXPECT_EQ(described.body["providers"][0]["id"], "testidp");
  EXPECT_TRUE(described.body["integrations"].empty());

  const auto back = connect_from_page(session, {{"provider", "testidp"}});
  ASSERT_TRUE(back.location) << back.status << " " << back.body;
  const auto outcome = testing::query_params(*back.location);
  EXPECT_EQ(back.location->rfind(page_url() + "?", 0), 0U)
      << "back to the page: " << *back.location;
  EXPECT_EQ(outcome.at("status"), "connected");

  described = page_get(session);
  ASSERT_EQ(described.body["integrations"].size(), 1U) << described.raw;
  const auto integration = described.body["integrations"][0];
  EXPECT_EQ(integration["account"]["email"], "test-user@example.test");
  EXPECT_EQ(described.raw.find("access_token"), std::string::npos) << "never a token";
  EXPECT_EQ(described.raw.find("refresh_token"), std::string::npos);

  const auto id = integration["id"].get<std::string>();
  const auto gone = api_->del("/v1/connect/session/integrations/" + id, session.token);
  EXPECT_EQ(gone.status, 204) << gone.raw;
  EXPECT_EQ(peer_->stats()["revoked"], 2) << "revoked at the provider";
  EXPECT_TRUE(page_get(session).body["integrations"].empty()) << "a disconnected one is not listed";

  const auto events = api_->audit_events();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [&](const auto& event) {
    return event.event == "integration.revoked" && event.actor == "connect_session:" + session.id &&
           event.user_id == "alice" && event.outcome == "ok";
  })) << "the audit names the session that acted";
}

// A session's token is for the page's few calls: every other endpoint refuses it, and it reaches
// no other user, no provider outside its list.
TEST_P(ConnectSessionTest, ASessionTokenGrantsNothingElse) {
  const auto bobs_session = make_session("bob", nlohmann::json::object());
  ASSERT_TRUE(connect_from_page(bobs_session, {{"provider", "testidp"}}, "bob").location);
  const auto bobs_id = page_get(bobs_session).body["integrations"][0]["id"].get<std::string>();

  const auto session = make_session("alice", {{"providers", nlohmann::json::array({"testidp"})}});
  const std::vector<std::string> elsewhere = {"/v1/integrations", "/v1/consents", "/v1/audit",
                                              "/v1/integrations/" + bobs_id};
  for (const auto& target : elsewhere) {
    EXPECT_EQ(api_->get(target, session.token).status, 401) << target;
  }
  const auto token =
      api_->post("/v1/tokens", session.token, nlohmann::json{{"integration_id", bobs_id}}.dump());
  EXPECT_EQ(token.status, 401) << "no token ever reaches the page";
  EXPECT_EQ(api_->post("/v1/connect-sessions", session.token, "{}").status, 401);
  EXPECT_EQ(api_->post("/v1/integrations/testidp/authorize", session.token, "{}").status, 401);
  EXPECT_EQ(api_->del("/v1/integrations/" + bobs_id, session.token).status, 401);

  // Bob's integration, through Alice's page: exactly as if it did not exist.
  EXPECT_EQ(api_->del("/v1/connect/session/integrations/" + bobs_id, session.token).status, 404);
  const auto reconnect =
      api_->post("/v1/connect/session/authorize", session.token,
                 nlohmann::json{{"provider", "testidp"}, {"integration_id", bobs_id}}.dump());
  EXPECT_EQ(reconnect.status, 404) << reconnect.raw;
  EXPECT_EQ(api_->store().get_integration(bobs_id)->status, core::IntegrationStatus::active);

  // A JWT is no session token, and a made-up token is nobody.
  EXPECT_EQ(api_->get("/v1/connect/session", api_->token("alice", {"user"})).status, 401);
  EXPECT_EQ(api_->get("/v1/connect/session", "cs_" + std::string(43, 'A')).status, 401);
  EXPECT_EQ(api_->get("/v1/connect/session", std::nullopt).status, 401);
}

TEST_P(ConnectSessionTest, MakingASessionIsCheckedLikeAnyWrite) {
  const auto alice = api_->token("alice", {"user"});
  EXPECT_EQ(api_->post("/v1/connect-sessions", alice, R"({"user_id":"bob"})").status, 404)
      << "another user needs users:any";
  const auto admin = api_->token("backend", {"admin"});
  const auto for_bob = api_->post("/v1/connect-sessions", admin, R"({"user_id":"bob"})");
  EXPECT_EQ(for_bob.status, 201) << for_bob.raw;
  EXPECT_EQ(api_->post("/v1/connect-sessions", alice, R"({"providers":["nope"]})").body["code"],
            "provider_unknown");
  EXPECT_EQ(
      api_->post("/v1/connect-sessions", alice, R"({"return_to":"https://evil.test/"})").status,
      400);
  EXPECT_EQ(api_->post("/v1/connect-sessions", alice, R"({"colour":"red"})").status, 400);
  EXPECT_EQ(api_->post("/v1/connect-sessions", alice, R"({"providers":[]})").status, 400)
      << "an empty allow-list is not \"all\"";
  EXPECT_EQ(api_->post("/v1/connect-sessions", api_->token("nobody", {}), "{}").status, 403);
}

TEST_P(ConnectSessionTest, ARevokedOrExpiredSessionIsRefused) {
  const auto session = make_session("alice", nlohmann::json::object());
  EXPECT_EQ(api_->del("/v1/connect-sessions/" + session.id, api_->token("bob", {"user"})).status,
            404)
      << "another user cannot see it";
  EXPECT_EQ(page_get(session).status, 200);
  EXPECT_EQ(api_->del("/v1/connect-sessions/" + session.id, api_->token("alice", {"user"})).status,
            204);
  const auto refused = page_get(session);
  EXPECT_EQ(refused.status, 401) << refused.raw;
  EXPECT_EQ(refused.body["code"], "unauthenticated");

  const auto later = make_session("alice", nlohmann::json::object());
  clock_.advance(std::chrono::seconds(1801));  // sessions live 30 minutes by default
  EXPECT_EQ(page_get(later).status, 401);
  auto& purger = api_->service().state_purger();
  EXPECT_GE(*testing::run_on(api_->io(), purger.purge_once()), 2) << "both sessions are purged";
}

TEST_P(ConnectSessionTest, ThePageIsServedWithAStrictContentSecurityPolicy) {
  const auto page = api_->get("/connect", std::nullopt);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  const auto policy = page.header("Content-Security-Policy").value_or("");
  EXPECT_NE(policy.find("script-src 'self'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
  EXPECT_EQ(page.raw.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_EQ(page.raw.find("http://"), std::string::npos) << "no external resource";
  EXPECT_EQ(page.raw.find("https://"), std::string::npos) << "no external resource";
  EXPECT_EQ(api_->get("/connect/connect.js", std::nullopt).status, 200);
  EXPECT_EQ(api_->get("/connect/connect.css", std::nullopt).status, 200);
}

// Without confirm_url, a connect_url forwarded to someone else would connect their account to
// the session's user: off loopback, no session is made until confirm_url is set.
TEST(ConnectSessionExposedTest, ASessionNeedsConfirmUrlOffLoopback) {
  testing::TempDir dir;
  testing::ManualClock clock{core::SystemClock().now()};
  ApiHarness exposed(dir, {{"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example.test"}},
                     clock);
  const auto refused = exposed.post("/v1/connect-sessions", exposed.token("alice", {"user"}), "{}");
  EXPECT_EQ(refused.status, 403) << refused.raw;
  EXPECT_NE(refused.body.value("detail", "").find("confirm_url"), std::string::npos);

  testing::TempDir other_dir;
  ApiHarness confirmed(other_dir,
                       {{"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example.test"},
                        {"OAUTH_MANAGER_CONNECT_CONFIRM_URL", "https://app.example.test/confirm"}},
                       clock);
  EXPECT_EQ(confirmed.post("/v1/connect-sessions", confirmed.token("alice", {"user"}), "{}").status,
            201);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConnectSessionTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace oauth_manager
