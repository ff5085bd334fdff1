// [connect] confirm_url, the second defence against account linking (RFC 9700 §4.7): a start
// link forwarded to someone else is bound to *their* browser, so the provider's answer is held
// until the application confirms which of its users came back. Against the real OIDC peer, on
// SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>

#include "connect_flow_fixture.hpp"
#include "support/eventually.hpp"
#include "support/raw_http.hpp"

namespace oauth_manager {
namespace {

constexpr const char* kConfirmUrl = "https://app.example.test/oauth/confirm";

class ConnectConfirmTest : public ConnectFlowTest {
 protected:
  config::Environment extra_environment() const override {
    return {{"OAUTH_MANAGER_CONNECT_CONFIRM_URL", kConfirmUrl}};
  }

  // The one-time flow id the browser was sent to confirm_url with.
  static std::string flow_of(const Browser::Page& page) {
    EXPECT_TRUE(page.location) << page.status << " " << page.body;
    if (!page.location) return "";
    EXPECT_EQ(page.location->rfind(std::string(kConfirmUrl) + "?flow=", 0), 0U) << *page.location;
    return testing::query_params(*page.location).at("flow");
  }

  testing::Reply confirm(const std::string& flow, const std::string& user) {
    return api_->post("/v1/connect/flows/" + flow + "/confirm", api_->token(user, {"user"}), "");
  }

  std::size_t integrations_of(const std::string& user) {
    return api_->store().list_integrations(user, std::nullopt)->size();
  }

  bool audited(const std::string& event, const std::string& outcome, const std::string& user) {
    const auto events = api_->audit_events();
    return std::any_of(events.begin(), events.end(), [&](const auto& record) {
      return record.event == event && record.outcome == outcome && record.user_id == user;
    });
  }
};

TEST_P(ConnectConfirmTest, TheUserWhoBeganTheFlowConfirmsItAndOnlyThenItIsConnected) {
  const auto flow = flow_of(connect("alice", {{"return_to", kReturnTo}}));
  EXPECT_EQ(integrations_of("alice"), 0U) << "held, not connected, until confirmed";
  EXPECT_TRUE(audited("integration.confirmation_pending", "ok", "alice"));

  const auto confirmed = confirm(flow, "alice");
  ASSERT_EQ(confirmed.status, 200) << confirmed.raw;
  EXPECT_EQ(confirmed.body["status"], "connected");
  EXPECT_EQ(confirmed.body["return_to"], kReturnTo);
  EXPECT_EQ(confirmed.body["integration"]["account"]["id"], "test-user");
  EXPECT_EQ(integrations_of("alice"), 1U);
  const auto id = confirmed.body["integration"]["id"].get<std::string>();
  const auto token = api_->post("/v1/tokens", api_->token("backend", {"service"}),
                                nlohmann::json{{"integration_id", id}}.dump());
  EXPECT_EQ(token.status, 200) << "the held tokens are the integration's now: " << token.raw;
  EXPECT_EQ(api_->store().list_consents("alice")->size(), 1U);

  EXPECT_EQ(confirm(flow, "alice").status, 404) << "a flow is confirmed once";
  EXPECT_EQ(peer_->stats()["revoked"], 0);
}

// The attack: Alice makes a start link and sends it to Bob, who opens it in his own browser
// (so the browser binding holds) and approves with his account on the provider's genuine
// consent screen. The application confirms with the session it sees, Bob's: refused, and Bob's
// grant is revoked at the provider at once.
TEST_P(ConnectConfirmTest, AFlowBegunByOneUserAndConfirmedByAnotherIsRefusedAndRevoked) {
  const auto started =
      api_->post("/v1/integrations/testidp/authorize", api_->token("alice", {"user"}), "{}");
  ASSERT_EQ(started.status, 201) << started.raw;
  Browser bobs_browser;
  const auto start = bobs_browser.visit(started.body["authorization_url"].get<std::string>());
  ASSERT_TRUE(start.location) << start.body;
  const auto flow =
      flow_of(bobs_browser.open(net::with_query(*start.location, {{"login_hint", "bob"}})));
  ASSERT_EQ(peer_->stats()["authorization_code"], 1) << "the provider's part succeeded";

  const auto refused = confirm(flow, "bob");
  EXPECT_EQ(refused.status, 403) << refused.raw;
  EXPECT_EQ(refused.body["code"], "flow_user_mismatch");
  EXPECT_EQ(integrations_of("alice"), 0U);
  EXPECT_EQ(integrations_of("bob"), 0U);
  EXPECT_EQ(peer_->stats()["revoked"], 2) << "refresh and access token, at once";
  EXPECT_TRUE(audited("integration.connect_failed", "flow_user_mismatch", "alice"));
  EXPECT_TRUE(audited("integration.confirm", "flow_user_mismatch", "bob"));
  EXPECT_EQ(confirm(flow, "alice").status, 404) << "the refused flow is gone for everyone";
}

// Google revokes per account and client: a refused flow whose account someone already holds in
// a live integration is dropped, not revoked, or the refusal would end that integration too.
TEST_P(ConnectConfirmTest, ARefusedFlowForAnAccountHeldElsewhereIsDroppedNotRevoked) {
  const auto alices = confirm(flow_of(connect("alice", nlohmann::json::object())), "alice");
  ASSERT_EQ(alices.status, 200) << alices.raw;
  browser_ = Browser();
  const auto flow = flow_of(connect("mallory", nlohmann::json::object()));  // the same account
  EXPECT_EQ(confirm(flow, "bob").status, 403);
  EXPECT_EQ(peer_->stats()["revoked"], 0) << "Alice's grant is the same grant";
  const auto token =
      api_->post("/v1/tokens", api_->token("backend", {"service"}),
                 nlohmann::json{{"integration_id", alices.body["integration"]["id"]}}.dump());
  EXPECT_EQ(token.status, 200) << token.raw;
  const auto events = api_->audit_events();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.connect_failed" && event.user_id == "mallory" &&
           event.details.find("connected in another integration") != std::string::npos;
  }));
}

TEST_P(ConnectConfirmTest, AConfirmationAfterTheFlowExpiredIsRefusedAndRevoked) {
  const auto flow = flow_of(connect("alice", nlohmann::json::object()));
  clock_.advance(std::chrono::seconds(301));  // held 300 s by default
  const auto late = confirm(flow, "alice");
  EXPECT_EQ(late.status, 400) << late.raw;
  EXPECT_EQ(late.body["code"], "state_expired");
  EXPECT_EQ(integrations_of("alice"), 0U);
  EXPECT_EQ(peer_->stats()["revoked"], 2);
}

// Nobody comes back to confirm: the purge deletes the held flow and revokes its grant.
TEST_P(ConnectConfirmTest, AFlowNobodyConfirmsIsPurgedAndItsGrantRevoked) {
  const auto flow = flow_of(connect("alice", nlohmann::json::object()));
  auto& purger = api_->service().state_purger();
  EXPECT_EQ(*testing::run_on(api_->io(), purger.purge_once()), 0) << "not expired yet";
  clock_.advance(std::chrono::seconds(301));
  EXPECT_EQ(*testing::run_on(api_->io(), purger.purge_once()), 1);
  EXPECT_EQ(*api_->store().count_outbox(), 2) << "both revocations queued with the purge";
  clock_.advance(std::chrono::seconds(1));  // the access token's job is due 1 ms after the other
  api_->service().start_background(api_->io());
  EXPECT_TRUE(testing::eventually([&] { return peer_->stats()["revoked"].get<int>() == 2; },
                                  std::chrono::seconds(30)));
  api_->service().stop_background();
  EXPECT_TRUE(audited("integration.connect_failed", "confirm_expired", "alice"));
  EXPECT_EQ(confirm(flow, "alice").status, 404);
}

TEST_P(ConnectConfirmTest, AMalformedOrUnknownFlowIsNotFound) {
  EXPECT_EQ(confirm("short", "alice").status, 404);
  EXPECT_EQ(confirm(std::string(43, 'A'), "alice").status, 404);
  const auto anonymous =
      api_->post("/v1/connect/flows/" + std::string(43, 'A') + "/confirm", std::nullopt, "");
  EXPECT_EQ(anonymous.status, 401);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConnectConfirmTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace oauth_manager
