// The outbox against the small fake provider and a webhook receiver: a revocation the provider
// refused for now is retried in the background until it succeeds, or given up (and audited)
// after outbox.give_up_after_seconds; webhooks are signed, retried and carry no token.
#include <set>
#include <thread>

#include "token_lifecycle.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::kWebhookSecret;
using testing::TokenLifecycleTest;

// The lifecycle fixture under its own name, so these cases are instantiated once, here.
class OutboxDeliveryTest : public TokenLifecycleTest {};

// The tokens the revocation requests from the `first`-th on carried.
std::multiset<std::string> revoked_tokens(const testing::FakeProvider& fake, std::size_t first) {
  std::multiset<std::string> tokens;
  const auto requests = fake.revoke_requests();
  for (std::size_t i = first; i < requests.size(); ++i) {
    tokens.insert(testing::query_params("?" + requests[i].body).at("token"));
  }
  return tokens;
}

TEST_P(OutboxDeliveryTest, ARevocationThatFailedIsRetriedUntilTheProviderTakesIt) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  fake_.answer_revoke(503);
  EXPECT_EQ(disconnect(id), 204) << "a provider that fails does not fail the disconnect";
  EXPECT_EQ(fake_.revoke_requests().size(), 2U);
  // Both revocations wait in the outbox, beside the two webhooks (connected, revoked) that no
  // worker has sent yet.
  EXPECT_EQ(*api_->store().count_outbox(), 4);
  EXPECT_EQ(api_->store().get_integration(id)->status, core::IntegrationStatus::revoked);
  const auto events = api_->audit_events();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.revoked" &&
           event.details.find("pending") != std::string::npos;
  }));

  fake_.answer_revoke(200);
  api_->service().start_background(api_->io());
  // The retry is due 5 to 10 ms later by the service's clock, which this test moves on.
  ASSERT_TRUE(eventually([&] {
    clock_.advance(10ms);
    return *api_->store().count_outbox() == 0;
  }));
  api_->service().stop_background();
  EXPECT_EQ(revoked_tokens(fake_, 2),
            (std::multiset<std::string>{"1//refresh-1", "ya29.access-1"}));
  EXPECT_EQ(api_->service().outbox().given_up(), 0);
}

// A refresh at the provider while the integration is disconnected: the new tokens are stored
// nowhere, so they are revoked as well, not left alive at the provider.
TEST_P(OutboxDeliveryTest, TokensARefreshGotAfterADisconnectAreRevokedToo) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  clock_.advance(3600s);
  fake_.answer_token(200, google_tokens("ya29.access-2", "1//refresh-2"));
  fake_.delay_token(1500ms);
  std::thread refresh([&] { (void)token_for(id); });
  ASSERT_TRUE(eventually([&] { return refresh_calls() == 1; }, 10s)) << "the refresh is in flight";
  EXPECT_EQ(disconnect(id), 204);
  refresh.join();
  api_->service().start_background(api_->io());
  ASSERT_TRUE(eventually([&] {
    clock_.advance(10ms);
    return revoked_tokens(fake_, 0).count("1//refresh-2") == 1 &&
           revoked_tokens(fake_, 0).count("ya29.access-2") == 1;
  })) << revoked_tokens(fake_, 0).size();
  api_->service().stop_background();
  EXPECT_EQ(api_->store().get_tokens(id).error().code, core::Code::not_found) << "none stored";
}

TEST_P(OutboxDeliveryTest, ARevocationStillFailingAfterTheGiveUpTimeIsDroppedAndAudited) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  fake_.answer_revoke(503);
  EXPECT_EQ(disconnect(id), 204);
  api_->service().start_background(api_->io());
  clock_.advance(std::chrono::hours(72));  // outbox.give_up_after_seconds: three days
  ASSERT_TRUE(eventually([&] {
    clock_.advance(10ms);
    return *api_->store().count_outbox() == 0;
  }));
  api_->service().stop_background();
  EXPECT_EQ(api_->service().outbox().given_up(), 2);
  const auto events = api_->audit_events();
  std::vector<nlohmann::json> gave_up;
  for (const auto& event : events) {
    if (event.event != "outbox.gave_up") continue;
    EXPECT_EQ(event.integration_id, id);
    EXPECT_EQ(event.user_id, "alice");
    EXPECT_EQ(event.details.find("ya29"), std::string::npos);
    EXPECT_EQ(event.details.find("1//refresh"), std::string::npos);
    gave_up.push_back(nlohmann::json::parse(event.details));
  }
  ASSERT_EQ(gave_up.size(), 2U);
  EXPECT_EQ(gave_up[0]["kind"], "revocation");
  EXPECT_NE(gave_up[0]["reason"].get<std::string>().find("HTTP 503"), std::string::npos);
}

TEST_P(OutboxDeliveryTest, WebhooksAreSignedRetriedAndCarryNoTokens) {
  api_->service().start_background(api_->io());
  webhooks_.fail_next(1);  // the first delivery fails and is retried
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  clock_.advance(3600s);
  fake_.answer_token(400, {{"error", "invalid_grant"}});
  EXPECT_EQ(token_for(id).body["code"], "needs_reauth");
  EXPECT_EQ(disconnect(id), 204);

  // The retry is due 5 to 10 ms later by the service's clock, which this test moves on.
  ASSERT_TRUE(eventually(
      [&] {
        clock_.advance(10ms);
        return webhooks_.received().size() >= 3;
      },
      60s))
      << webhooks_.received().size();
  std::vector<std::string> types;
  for (const auto& [signature, body] : webhooks_.received()) {
    const auto event = nlohmann::json::parse(body);
    types.push_back(event["type"]);
    EXPECT_EQ(event["data"]["integration_id"], id);
    EXPECT_EQ(event["data"]["provider"], "google");
    EXPECT_TRUE(event.contains("id") && event.contains("timestamp"));
    EXPECT_EQ(body.find("ya29"), std::string::npos);
    EXPECT_EQ(body.find("1//refresh"), std::string::npos);
    // t=<seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
    const auto t = std::stoll(signature.substr(2, signature.find(',') - 2));
    EXPECT_EQ(signature, events::webhook_signature(kWebhookSecret, t, body));
  }
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"integration.connected", "integration.needs_reauth",
                                             "integration.revoked"}));
  EXPECT_GE(api_->service().webhooks()->failed_attempts(), 1);
  api_->service().stop_background();
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxDeliveryTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace oauth_manager
