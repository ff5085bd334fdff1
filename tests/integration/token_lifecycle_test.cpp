// Token lifecycle against the small fake provider: revocation requests (RFC 7009), dead grants
// (invalid_grant -> needs_reauth, no retry storm), transient failures (backoff), and a refresh
// answer without expires_in.
#include "token_lifecycle.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;
using testing::ApiHarness;
using testing::eventually;
using testing::kClientId;
using testing::kClientSecret;
using testing::TokenLifecycleTest;

TEST_P(TokenLifecycleTest, DisconnectRevokesRefreshThenAccessTokenAndDeletesLocally) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  const auto reply = api_->get("/v1/integrations/" + id, api_->token("alice", {"user"}));
  ASSERT_EQ(reply.status, 200);
  // Handed out once: the hand-out cache holds it, and the disconnect must drop it at once.
  ASSERT_EQ(token_for(id).status, 200);

  std::string request = "DELETE /v1/integrations/" + id +
                        " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " +
                        api_->token("alice", {"user"}) + "\r\n\r\n";
  const auto deleted = testing::http_exchange(api_->port(), request);
  EXPECT_EQ(testing::status_of(deleted), 204) << deleted;

  const auto revocations = fake_.revoke_requests();
  ASSERT_EQ(revocations.size(), 2U);
  EXPECT_EQ(revocations[0].authorization,
            "Basic " + crypto::base64_encode(std::string(kClientId) + ":" + kClientSecret));
  EXPECT_EQ(testing::query_params("?" + revocations[0].body),
            (std::map<std::string, std::string>{{"token", "1//refresh-1"},
                                                {"token_type_hint", "refresh_token"}}));
  EXPECT_EQ(testing::query_params("?" + revocations[1].body).at("token"), "ya29.access-1");

  const auto integration = *api_->store().get_integration(id);
  EXPECT_EQ(integration.status, core::IntegrationStatus::revoked);
  EXPECT_EQ(api_->store().get_tokens(id).error().code, core::Code::not_found);
  const auto consents = *api_->store().list_consents("alice");
  ASSERT_EQ(consents.size(), 1U);
  EXPECT_TRUE(consents[0].revoked_at);
  EXPECT_EQ(token_for(id).status, 404);

  const auto events = api_->audit_events();
  const auto revoked = std::find_if(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.revoked";
  });
  ASSERT_NE(revoked, events.end());
  const auto details = nlohmann::json::parse(revoked->details);
  EXPECT_EQ(details["refresh_token"], "revoked");
  EXPECT_EQ(details["access_token"], "revoked");
  EXPECT_EQ(revoked->details.find("ya29.access-1"), std::string::npos);
}

TEST_P(TokenLifecycleTest, AProviderThatFailsToRevokeDoesNotBlockTheDisconnect) {
  const auto id = connect("notion", {{"access_token", "secret_a"}, {"bot_id", "bot-1"}});
  fake_.answer_revoke(503);
  std::string request = "DELETE /v1/integrations/" + id +
                        " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " +
                        api_->token("alice", {"user"}) + "\r\n\r\n";
  EXPECT_EQ(testing::status_of(testing::http_exchange(api_->port(), request)), 204);
  const auto revocations = fake_.revoke_requests();
  ASSERT_EQ(revocations.size(), 1U);  // Notion: no refresh token here, so the access token only
  EXPECT_EQ(nlohmann::json::parse(revocations[0].body), (nlohmann::json{{"token", "secret_a"}}));
  EXPECT_EQ(api_->store().get_integration(id)->status, core::IntegrationStatus::revoked);
  const auto events = api_->audit_events();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.revoked" &&
           event.details.find("HTTP 503") != std::string::npos;
  }));
}

TEST_P(TokenLifecycleTest, ADeadGrantMeansNeedsReauthOnceAndNoMoreProviderCalls) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  clock_.advance(3600s);
  fake_.answer_token(400, {{"error", "invalid_grant"},
                           {"error_description", "Token has been expired or revoked."}});
  const auto first = token_for(id);
  EXPECT_EQ(first.status, 409) << first.raw;
  EXPECT_EQ(first.body["code"], "needs_reauth");
  EXPECT_EQ(refresh_calls(), 1U);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(token_for(id).body["code"], "needs_reauth");
  EXPECT_EQ(refresh_calls(), 1U) << "no retry storm on a dead grant";
  EXPECT_EQ(api_->store().get_integration(id)->status, core::IntegrationStatus::needs_reauth);
  const auto events = api_->audit_events();
  EXPECT_EQ(
      std::count_if(events.begin(), events.end(),
                    [](const auto& event) { return event.event == "integration.needs_reauth"; }),
      1);
}

TEST_P(TokenLifecycleTest, ProviderFailuresBackOffAndAStillValidTokenIsServed) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  fake_.answer_token(500, {{"error", "server_error"}});
  // Expiring within min_ttl but still valid: the old token is better than an error.
  clock_.advance(3600s - 30s);
  const auto still_valid = token_for(id);
  ASSERT_EQ(still_valid.status, 200) << still_valid.raw;
  EXPECT_EQ(still_valid.body["access_token"], "ya29.access-1");
  EXPECT_EQ(refresh_calls(), 1U);
  // Inside the backoff and still valid: the old token again, without a provider call.
  const auto again = token_for(id);
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["access_token"], "ya29.access-1");
  EXPECT_EQ(refresh_calls(), 1U);

  // Expired: 503 with Retry-After, and no provider call until the backoff has passed.
  clock_.advance(60s);
  const auto failed = token_for(id);
  EXPECT_EQ(failed.status, 503) << failed.raw;
  EXPECT_EQ(failed.body["code"], "provider_error");
  ASSERT_TRUE(failed.header("Retry-After"));
  const auto calls = refresh_calls();
  EXPECT_EQ(token_for(id).status, 503);
  EXPECT_EQ(refresh_calls(), calls) << "inside the backoff window: no provider call";
  // The window grows: 1 s, 2 s, 4 s ... (with jitter: between half and all of it).
  clock_.advance(600s);
  fake_.answer_token(200, google_tokens("ya29.access-2", "1//refresh-1"));
  const auto recovered = token_for(id);
  ASSERT_EQ(recovered.status, 200) << recovered.raw;
  EXPECT_EQ(recovered.body["access_token"], "ya29.access-2");
}

// A rotated client secret makes the token endpoint answer invalid_client for every grant. That
// is the operator's to fix, not the users': no integration may be marked needs_reauth, and all
// work again by themselves once the secret is right.
TEST_P(TokenLifecycleTest, ARefusedClientKeepsTheIntegrationConnectedAndRecovers) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  fake_.answer_token(401, {{"error", "invalid_client"}});
  clock_.advance(3600s);  // expired: the hand-out must refresh
  const auto refused = token_for(id);
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_EQ(refused.body["code"], "provider_misconfigured");
  EXPECT_TRUE(refused.header("Retry-After"));
  EXPECT_EQ(api_->store().get_integration(id)->status, core::IntegrationStatus::active);

  const auto events = api_->audit_events();
  const auto failed = std::find_if(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.refresh_failed";
  });
  ASSERT_NE(failed, events.end()) << "the failed refresh is audited";
  EXPECT_EQ(failed->outcome, "provider_misconfigured");
  EXPECT_EQ(failed->details.find("1//refresh-1"), std::string::npos);

  clock_.advance(600s);  // past the backoff; the operator fixed the secret meanwhile
  fake_.answer_token(200, google_tokens("ya29.access-2", "1//refresh-1"));
  const auto recovered = token_for(id);
  ASSERT_EQ(recovered.status, 200) << recovered.raw;
  EXPECT_EQ(recovered.body["access_token"], "ya29.access-2");
}

// Without a refresh token there is nothing to refresh: a token that is still valid, however
// briefly, is handed out with its real expiry (the caller decides); an expired one is 409.
TEST_P(TokenLifecycleTest, ATokenWithoutRefreshTokenIsHandedOutUntilItExpires) {
  const auto id = connect(
      "google", {{"access_token", "ya29.short"}, {"token_type", "Bearer"}, {"expires_in", 30}});
  const auto soon = token_for(id);  // min_ttl 60 s > 30 s left
  ASSERT_EQ(soon.status, 200) << soon.raw;
  EXPECT_EQ(soon.body["access_token"], "ya29.short");
  EXPECT_EQ(soon.body["expires_at"], core::to_rfc3339(clock_.now() + 30s));
  EXPECT_EQ(refresh_calls(), 0U);
  clock_.advance(31s);
  const auto expired = token_for(id);
  EXPECT_EQ(expired.status, 409) << expired.raw;
  EXPECT_EQ(expired.body["code"], "needs_reauth");
}

// rotate-keys (or anything else) re-writes the same tokens while a refresh waits on a provider
// that rotates refresh tokens: the refresh's commit conflicts on the version, but its new tokens
// must still be stored, since the provider has already invalidated the old refresh token.
TEST_P(TokenLifecycleTest, ARefreshCommitsOverAConcurrentReencryptionOfTheSameTokens) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  clock_.advance(3600s);
  fake_.delay_token(1500ms);
  fake_.answer_token(200, google_tokens("ya29.access-2", "1//refresh-2"));
  testing::Reply refreshed;
  std::thread caller([&] { refreshed = token_for(id); });
  // Once the refresh is at the provider, bump the stored version with the same ciphertexts.
  for (int i = 0; i < 200 && refresh_calls() == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(refresh_calls(), 1U);
  const auto record = *api_->store().get_tokens(id);
  ASSERT_TRUE(api_->store().update_tokens(record, record.version));
  caller.join();
  ASSERT_EQ(refreshed.status, 200) << refreshed.raw;
  EXPECT_EQ(refreshed.body["access_token"], "ya29.access-2");
  fake_.delay_token(0ms);
  const auto again = token_for(id);
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["access_token"], "ya29.access-2") << "the new token set was stored";
  EXPECT_EQ(refresh_calls(), 1U);
}

// The user removed a scope at the provider: the next refresh answer says so (RFC 6749 §6). The
// integration then claims only what is granted, and the consent ledger records the narrowing.
TEST_P(TokenLifecycleTest, ARefreshThatNarrowsTheScopesUpdatesThemAndTheConsentLedger) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  const auto before = api_->store().get_integration(id)->granted_scopes;
  ASSERT_GT(before.size(), 1U);
  clock_.advance(3600s);
  auto narrowed = google_tokens("ya29.access-2", "1//refresh-1");
  narrowed["scope"] = before.front();
  fake_.answer_token(200, narrowed);
  ASSERT_EQ(token_for(id).status, 200);
  EXPECT_EQ(api_->store().get_integration(id)->granted_scopes,
            std::vector<std::string>{before.front()});
  const auto consents = *api_->store().list_consents("alice");
  ASSERT_EQ(consents.size(), 2U);
  EXPECT_TRUE(consents[0].revoked_at) << "the wider consent is closed";
  EXPECT_FALSE(consents[1].revoked_at);
  EXPECT_EQ(consents[1].granted_scopes, std::vector<std::string>{before.front()});
  const auto asked =
      api_->post("/v1/tokens", api_->token("agent", {"service"}),
                 nlohmann::json{{"integration_id", id}, {"scopes", {before.back()}}}.dump());
  EXPECT_EQ(asked.status, 403) << "a scope no longer granted: " << asked.raw;
}

TEST_P(TokenLifecycleTest, AttemptsAgainstAFailingProviderAreSpacedExponentiallyWithJitter) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  fake_.answer_token(503, {{"error", "temporarily_unavailable"}});
  clock_.advance(3600s);  // expired: every caller wants a refresh
  // Callers keep asking every 250 ms; note when each attempt reached the provider.
  constexpr auto kTick = 250ms;
  std::vector<core::Timestamp> attempts;
  const auto start = clock_.now();
  while (attempts.size() < 6) {
    ASSERT_LT(clock_.now() - start, 10min) << "the provider stopped being retried";
    const auto before = refresh_calls();
    EXPECT_EQ(token_for(id).status, 503);
    if (refresh_calls() > before) attempts.push_back(clock_.now());
    clock_.advance(kTick);
  }
  ASSERT_EQ(attempts.size(), 6U);
  // After failure k the pause is between half and all of 2^k seconds (plus one tick of polling).
  for (std::size_t k = 1; k < attempts.size(); ++k) {
    const auto gap = attempts[k] - attempts[k - 1];
    const auto step = std::chrono::milliseconds(1000LL << (k - 1));
    EXPECT_GE(gap, step / 2) << "attempt " << k;
    EXPECT_LE(gap, step + kTick) << "attempt " << k;
  }
}

TEST_P(TokenLifecycleTest, AProvidersRetryAfterIsHonoured) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  // Google's token endpoint under load: 429 with Retry-After in seconds (RFC 9110 §10.2.3).
  fake_.answer_token(429, {{"error", "rate_limit_exceeded"}}, {{"Retry-After", "120"}});
  clock_.advance(3600s);
  const auto limited = token_for(id);
  EXPECT_EQ(limited.status, 503) << limited.raw;
  EXPECT_EQ(limited.header("Retry-After"), "120");
  fake_.answer_token(200, google_tokens("ya29.access-2", "1//refresh-1"));
  clock_.advance(119s);  // our own first step would be 1 s: the provider's wish wins
  EXPECT_EQ(token_for(id).status, 503);
  EXPECT_EQ(refresh_calls(), 1U);
  clock_.advance(1s);
  const auto recovered = token_for(id);
  ASSERT_EQ(recovered.status, 200) << recovered.raw;
  EXPECT_EQ(refresh_calls(), 2U);
}

TEST_P(TokenLifecycleTest, AnotherReplicaWaitsOutTheBackoffOfAFailedRefresh) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  fake_.answer_token(503, {{"error", "temporarily_unavailable"}});
  clock_.advance(3600s);
  EXPECT_EQ(token_for(id).status, 503);
  ASSERT_EQ(refresh_calls(), 1U);

  // A second service on the same database: the backoff is shared, not per process.
  testing::TempDir other_dir;
  ApiHarness other(other_dir, env_, clock_);
  const auto request = nlohmann::json{{"integration_id", id}}.dump();
  const auto waiting = other.post("/v1/tokens", other.token("agent", {"service"}), request);
  EXPECT_EQ(waiting.status, 503) << waiting.raw;
  EXPECT_TRUE(waiting.header("Retry-After"));
  EXPECT_EQ(refresh_calls(), 1U) << "the other replica did not call the failing provider";

  clock_.advance(2s);  // past the first step (0.5 to 1 s)
  fake_.answer_token(200, google_tokens("ya29.access-2", "1//refresh-1"));
  const auto recovered = other.post("/v1/tokens", other.token("agent", {"service"}), request);
  ASSERT_EQ(recovered.status, 200) << recovered.raw;
  EXPECT_EQ(recovered.body["access_token"], "ya29.access-2");
  EXPECT_EQ(refresh_calls(), 2U);
  EXPECT_EQ(*api_->store().get_refresh_backoff(id), std::nullopt) << "success clears it";
}

TEST_P(TokenLifecycleTest, ARefreshWithoutExpiresInGetsTheAssumedLifetimeAndKeepsTheRefreshToken) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  clock_.advance(3600s);
  fake_.answer_token(200, {{"access_token", "ya29.access-2"}, {"token_type", "Bearer"}});
  const auto reply = token_for(id);
  ASSERT_EQ(reply.status, 200) << reply.raw;
  EXPECT_EQ(reply.body["access_token"], "ya29.access-2");
  EXPECT_EQ(reply.body["expires_at"], core::to_rfc3339(clock_.now() + 3600s));
  const manager::TokenVault vault(api_->service().keyring());
  const auto stored = *vault.open(*api_->store().get_tokens(id));
  EXPECT_EQ(stored.refresh_token, "1//refresh-1") << "Google sent none: the old one stays";
  const auto form = testing::query_params("?" + fake_.token_requests().back().body);
  EXPECT_EQ(form.at("grant_type"), "refresh_token");
  EXPECT_EQ(form.at("refresh_token"), "1//refresh-1");
}

TEST_P(TokenLifecycleTest, SeveralIntegrationsOfOneProviderMustBeNamed) {
  connect("notion", {{"access_token", "a1"}, {"bot_id", "bot-1"}});
  connect("notion", {{"access_token", "a2"}, {"bot_id", "bot-2"}});
  const auto reply = api_->post("/v1/tokens", api_->token("agent", {"service"}),
                                R"({"user_id":"alice","provider":"notion"})");
  EXPECT_EQ(reply.status, 409);
  EXPECT_EQ(reply.body["code"], "conflict");
  const auto none = api_->post("/v1/tokens", api_->token("agent", {"service"}),
                               R"({"user_id":"alice","provider":"google"})");
  EXPECT_EQ(none.status, 404);
}

TEST_P(TokenLifecycleTest, TheBackgroundRefresherRenewsTokensBeforeTheyExpire) {
  const auto id = connect("google", google_tokens("ya29.access-1", "1//refresh-1"));
  api_->service().start_background(api_->io());
  const auto& refresher = api_->service().refresher();
  ASSERT_TRUE(eventually([&] { return refresher.rounds() >= 1; }));
  EXPECT_EQ(refresh_calls(), 0U) << "an hour left: nothing to do";

  fake_.answer_token(200, google_tokens("ya29.access-2", "1//refresh-2"));
  clock_.advance(3600s - 200s);  // inside the 300 s refresh-ahead window
  ASSERT_TRUE(eventually([&] { return refresh_calls() == 1; })) << refresh_calls();
  const auto rounds = refresher.rounds();
  ASSERT_TRUE(eventually([&] { return refresher.rounds() >= rounds + 2; }));
  EXPECT_EQ(refresh_calls(), 1U) << "renewed once, then fresh again";
  const manager::TokenVault vault(api_->service().keyring());
  const auto stored = *vault.open(*api_->store().get_tokens(id));
  EXPECT_EQ(stored.access_token, "ya29.access-2");
  EXPECT_EQ(stored.refresh_token, "1//refresh-2");
  api_->service().stop_background();
}

INSTANTIATE_TEST_SUITE_P(Backends, TokenLifecycleTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace oauth_manager
