// The /v1 API in-process, over real HTTP, on a SQLite file (and Redis where named): caller
// authentication, RBAC, cross-user isolation, rate limits, audit events, the OpenAPI document.
#include <gtest/gtest.h>

#include <set>

#include "api/openapi.hpp"
#include "app/service.hpp"
#include "core/ids.hpp"
#include "crypto/openssl_random.hpp"
#include "support/api_harness.hpp"
#include "support/manual_clock.hpp"
#include "support/raw_http.hpp"
#include "support/redis_server.hpp"
#include "support/signing_keys.hpp"
#include "support/temp_dir.hpp"

namespace oauth_manager {
namespace {

using testing::body_of;
using testing::header_of;
using testing::status_of;

using testing::ApiHarness;
using testing::Reply;

class ApiAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<ApiHarness>(dir_, config::Environment{}, clock_);
  }

  core::Integration connect(const std::string& user, const std::string& account) {
    core::Integration integration;
    integration.id = core::new_id(random_);
    integration.user_id = user;
    integration.provider = "google";
    integration.provider_account_id = account;
    integration.account_email = account + "@example.com";
    integration.granted_scopes = {"openid", "email"};
    integration.created_at = clock_.now();
    integration.updated_at = clock_.now();
    auto stored = api_->store().upsert_integration(integration);
    EXPECT_TRUE(stored);
    core::Consent consent;
    consent.id = core::new_id(random_);
    consent.user_id = user;
    consent.integration_id = stored->id;
    consent.requested_scopes = {"openid", "email"};
    consent.granted_scopes = {"openid", "email"};
    consent.created_at = clock_.now();
    EXPECT_TRUE(api_->store().append_consent(consent));
    return *stored;
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::OpenSslRandom random_;
  std::unique_ptr<ApiHarness> api_;
};

TEST_F(ApiAuthTest, NoTokenIs401WithABareChallenge) {
  const auto reply = api_->get("/v1/integrations", std::nullopt);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.body["code"], "unauthenticated");
  EXPECT_EQ(reply.header("WWW-Authenticate"), R"(Bearer realm="oauth-manager")");
}

TEST_F(ApiAuthTest, AnInvalidTokenIs401SayingWhyWithoutEchoingIt) {
  const auto expired = api_->token("alice", {"user"}, {{"exp", clock_.unix_seconds() - 3600}});
  const auto reply = api_->get("/v1/integrations", expired);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.header("WWW-Authenticate"),
            R"(Bearer realm="oauth-manager", error="invalid_token")");
  EXPECT_EQ(reply.body["detail"], "the token has expired");
  const auto signature = expired.substr(expired.rfind('.') + 1);
  EXPECT_EQ(reply.raw.find(signature), std::string::npos);

  const auto forged = testing::sign_hs256({{"sub", "alice"}, {"exp", clock_.unix_seconds() + 60}},
                                          "somebody-elses-secret-of-32-bytes-or-more");
  EXPECT_EQ(api_->get("/v1/integrations", forged).body["detail"],
            "the token's signature is invalid");
  EXPECT_EQ(api_->get("/v1/integrations", std::string("not-a-jwt")).status, 401);
}

TEST_F(ApiAuthTest, AUserSeesOwnIntegrationsAndNeverAnotherUsers) {
  const auto alices = connect("alice", "a-1");
  const auto bobs = connect("bob", "b-1");
  const auto alice = api_->token("alice", {"user"});

  const auto own = api_->get("/v1/integrations", alice);
  ASSERT_EQ(own.status, 200) << own.raw;
  ASSERT_EQ(own.body["integrations"].size(), 1U);
  EXPECT_EQ(own.body["integrations"][0]["id"], alices.id);
  EXPECT_EQ(own.body["integrations"][0]["account"]["email"], "a-1@example.com");
  EXPECT_EQ(api_->get("/v1/integrations/" + alices.id, alice).status, 200);
  EXPECT_EQ(api_->get("/v1/consents", alice).body["consents"].size(), 1U);

  // Every way to reach bob's records answers 404, exactly like an id that does not exist.
  for (const auto& target :
       std::vector<std::string>{"/v1/integrations?user_id=bob", "/v1/integrations/" + bobs.id,
                                "/v1/consents?user_id=bob"}) {
    const auto reply = api_->get(target, alice);
    EXPECT_EQ(reply.status, 404) << target;
    EXPECT_EQ(reply.body["code"], "not_found") << target;
    EXPECT_EQ(reply.raw.find("b-1"), std::string::npos) << target;
  }
  const auto missing = api_->get("/v1/integrations/00000000-0000-4000-8000-000000000000", alice);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["detail"], api_->get("/v1/integrations/" + bobs.id, alice).body["detail"]);
}

TEST_F(ApiAuthTest, AUserWithAuditReadSeesOnlyTheirOwnTrail) {
  const auto bobs = connect("bob", "b-1");
  const auto bob = api_->token("bob", {"user"});
  ASSERT_EQ(api_->get("/v1/integrations/" + bobs.id, bob).status, 200);  // audited for bob
  const auto alice = api_->token("alice", {"user"}, {{"scope", "oauth-manager:audit:read"}});

  EXPECT_EQ(api_->get("/v1/audit?user_id=bob", alice).status, 404);
  const auto by_integration = api_->get("/v1/audit?integration_id=" + bobs.id, alice);
  ASSERT_EQ(by_integration.status, 200);
  EXPECT_TRUE(by_integration.body["events"].empty()) << by_integration.body.dump();
  const auto own = api_->get("/v1/audit", alice);
  ASSERT_EQ(own.status, 200);
  for (const auto& event : own.body["events"]) EXPECT_EQ(event["user_id"], "alice");
  EXPECT_EQ(api_->get("/v1/audit/verify", alice).status, 403);  // the chain spans every user
}

TEST_F(ApiAuthTest, AServiceActsForAnyUserButCannotReadTheAuditTrail) {
  const auto bobs = connect("bob", "b-1");
  const auto service = api_->token("billing-agent", {"service"});
  const auto listed = api_->get("/v1/integrations?user_id=bob", service);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body["integrations"][0]["id"], bobs.id);
  EXPECT_EQ(api_->get("/v1/integrations/" + bobs.id, service).status, 200);
  const auto audit = api_->get("/v1/audit", service);
  EXPECT_EQ(audit.status, 403);
  EXPECT_EQ(audit.body["code"], "forbidden");
  EXPECT_NE(audit.body["detail"].get<std::string>().find("audit:read"), std::string::npos);
}

TEST_F(ApiAuthTest, ACallerWithoutAKnownRoleMayDoNothing) {
  const auto nobody = api_->token("mallory", {"intern"});
  EXPECT_EQ(api_->get("/v1/integrations", nobody).status, 403);
  EXPECT_EQ(api_->get("/v1/consents", nobody).status, 403);
}

TEST_F(ApiAuthTest, AnAdminSeesEverythingAndTheChainVerifies) {
  connect("bob", "b-1");
  const auto admin = api_->token("root", {"admin"});
  EXPECT_EQ(api_->get("/v1/integrations?user_id=bob", admin).status, 200);
  const auto audit = api_->get("/v1/audit", admin);
  ASSERT_EQ(audit.status, 200);
  EXPECT_GE(audit.body["events"].size(), 1U);
  const auto verified = api_->get("/v1/audit/verify", admin);
  ASSERT_EQ(verified.status, 200) << verified.raw;
  EXPECT_EQ(verified.body["intact"], true);
  EXPECT_GE(verified.body["events_checked"].get<int>(), 2);
}

TEST_F(ApiAuthTest, EveryProtectedRequestIsAuditedWithoutTheToken) {
  const auto bobs = connect("bob", "b-1");
  const auto alice = api_->token("alice", {"user"});
  api_->get("/v1/integrations", alice);
  api_->get("/v1/integrations/" + bobs.id, alice);
  api_->get("/v1/integrations", std::string("garbage.token.here"));

  const auto events = api_->audit_events();
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[0].event, "integrations.list");
  EXPECT_EQ(events[0].actor, "sub:alice");
  EXPECT_EQ(events[0].outcome, "ok");
  EXPECT_EQ(events[0].user_id, "alice");
  EXPECT_EQ(events[0].ip, "127.0.0.1");
  EXPECT_TRUE(events[0].request_id && events[0].request_id->size() == 32U);
  EXPECT_EQ(events[1].event, "integration.read");
  EXPECT_EQ(events[1].outcome, "not_found");
  EXPECT_EQ(events[1].integration_id, bobs.id);
  EXPECT_EQ(events[2].actor, "anonymous");
  EXPECT_EQ(events[2].outcome, "unauthenticated");
  for (const auto& event : events) {
    EXPECT_EQ(event.details.find(alice.substr(alice.rfind('.') + 1)), std::string::npos);
    EXPECT_EQ(event.details.find("garbage"), std::string::npos);
  }
}

TEST_F(ApiAuthTest, UnknownQueryParametersAndBadValuesAre400) {
  const auto admin = api_->token("root", {"admin"});
  const auto unknown = api_->get("/v1/integrations?user=bob", admin);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body["code"], "invalid_request");
  EXPECT_NE(unknown.body["detail"].get<std::string>().find("\"user\""), std::string::npos);
  EXPECT_EQ(api_->get("/v1/integrations?user_id=a&user_id=b", admin).status, 400);
  EXPECT_EQ(api_->get("/v1/audit?since=yesterday", admin).status, 400);
  EXPECT_EQ(api_->get("/v1/audit?limit=0", admin).status, 400);
  EXPECT_EQ(api_->get("/v1/audit?cursor=bm9wZQ", admin).status, 400);
  EXPECT_EQ(api_->get("/v1/audit?user_id=%zz", admin).status, 400);
}

TEST_F(ApiAuthTest, TheAuditTrailPagesWithACursorAndFiltersByTime) {
  const auto admin = api_->token("root", {"admin"});
  for (int i = 0; i < 5; ++i) api_->get("/v1/consents", admin);
  const auto first = api_->get("/v1/audit?event=consents.list&limit=2", admin);
  ASSERT_EQ(first.status, 200) << first.raw;
  ASSERT_EQ(first.body["events"].size(), 2U);
  ASSERT_TRUE(first.body["next_cursor"].is_string());
  std::set<std::int64_t> seen;
  auto page = first;
  while (true) {
    for (const auto& event : page.body["events"]) seen.insert(event["seq"].get<std::int64_t>());
    if (page.body["next_cursor"].is_null()) break;
    page = api_->get("/v1/audit?event=consents.list&limit=2&cursor=" +
                         page.body["next_cursor"].get<std::string>(),
                     admin);
    ASSERT_EQ(page.status, 200);
  }
  EXPECT_EQ(seen.size(), 5U);
  const auto future = api_->get("/v1/audit?since=2100-01-01T00:00:00Z", admin);
  EXPECT_TRUE(future.body["events"].empty());
}

// Another API's access token, signed by the same key: it names another audience (or none), and
// its scopes name our permissions without our prefix. It must not read anybody's records.
TEST_F(ApiAuthTest, AJwtMeantForAnotherApiIsRefused) {
  connect("bob", "b-1");
  const auto other_api = api_->token("mallory", {}, {{"aud", "billing-api"}, {"scope", "admin"}});
  EXPECT_EQ(api_->get("/v1/integrations?user_id=bob", other_api).status, 401);
  const auto without_aud = api_->token("mallory", {"admin"}, {{"aud", nullptr}});
  EXPECT_EQ(api_->get("/v1/integrations?user_id=bob", without_aud).status, 401);
  const auto our_audience = api_->token("mallory", {}, {{"scope", "admin users:any tokens:read"}});
  EXPECT_EQ(api_->get("/v1/integrations?user_id=bob", our_audience).status, 403);
  const auto ours = api_->token("mallory", {"admin"});
  EXPECT_EQ(api_->get("/v1/integrations?user_id=bob", ours).status, 200)
      << "the same claims with our audience and a role do pass";
}

// Another user's integration is not there for a plain user: disconnecting or refreshing it
// answers 404 exactly like an unknown id, and changes nothing.
TEST_F(ApiAuthTest, AnotherUsersIntegrationCannotBeDisconnectedOrRefreshed) {
  const auto bobs = connect("bob", "b-1");
  const auto alice = api_->token("alice", {"user"});
  const auto raw = testing::http_exchange(
      api_->port(), "DELETE /v1/integrations/" + bobs.id +
                        " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " +
                        alice + "\r\n\r\n");
  EXPECT_EQ(testing::status_of(raw), 404) << raw;
  const auto unknown = testing::http_exchange(
      api_->port(),
      "DELETE /v1/integrations/no-such-id HTTP/1.1\r\nHost: t\r\nConnection: "
      "close\r\nAuthorization: Bearer " +
          alice + "\r\n\r\n");
  EXPECT_EQ(nlohmann::json::parse(testing::body_of(raw))["detail"],
            nlohmann::json::parse(testing::body_of(unknown))["detail"]);
  const auto refresh = api_->post("/v1/integrations/" + bobs.id + "/refresh", alice, "{}");
  EXPECT_EQ(refresh.status, 404) << refresh.raw;
  EXPECT_EQ(api_->store().get_integration(bobs.id)->status, core::IntegrationStatus::active);
}

TEST_F(ApiAuthTest, TheOpenApiDocumentDescribesExactlyTheRouter) {
  const auto document = nlohmann::json::parse(api::openapi_document());
  EXPECT_EQ(document["openapi"], "3.1.0");
  EXPECT_EQ(document["info"]["version"], OAUTH_MANAGER_VERSION);
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      // The demo's routes exist only with [demo] enabled (not in this harness).
      if (operation.value("x-demo-only", false)) continue;
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.emplace(upper, path);
    }
  }
  std::set<std::pair<std::string, std::string>> routed;
  for (const auto& route : api_->router().routes()) routed.insert(route);
  EXPECT_EQ(documented, routed);
  const auto served = api_->get("/openapi.json", std::nullopt);
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.body, document);
}

// With [demo] enabled, the demo's documented routes are the ones served.
TEST_F(ApiAuthTest, TheDemoRoutesAreDocumentedAndServedWhenTheDemoIsOn) {
  testing::TempDir dir;
  ApiHarness demo(dir, {{"OAUTH_MANAGER_DEMO_ENABLED", "true"}}, clock_);
  const auto document = nlohmann::json::parse(api::openapi_document());
  std::set<std::pair<std::string, std::string>> routed;
  for (const auto& route : demo.router().routes()) routed.insert(route);
  int demo_routes = 0;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      EXPECT_EQ(routed.count({upper, path}), 1U) << upper << " " << path;
      demo_routes += operation.value("x-demo-only", false) ? 1 : 0;
    }
  }
  EXPECT_EQ(demo_routes, 9);
  const auto discovery = demo.get("/demo/.well-known/openid-configuration", std::nullopt);
  EXPECT_EQ(discovery.status, 200);
  EXPECT_EQ(discovery.body["code_challenge_methods_supported"][0], "S256");
}

// A backend service fetching for many users is not held to a person's pace (issue 12): with the
// default limits, 100 quick calls by a service all pass, and a person is limited after the burst.
TEST_F(ApiAuthTest, AServiceIsNotHeldToAPersonsRateLimit) {
  const auto service = api_->token("calendar-agent", {"service"});
  const auto person = api_->token("alice", {"user"});
  int service_limited = 0;
  int person_limited = 0;
  for (int i = 0; i < 100; ++i) {
    service_limited += api_->get("/v1/providers", service).status == 429 ? 1 : 0;
    person_limited += api_->get("/v1/providers", person).status == 429 ? 1 : 0;
  }
  EXPECT_EQ(service_limited, 0);
  EXPECT_GT(person_limited, 0) << "a person still gets 20/s with a burst of 40";
}

TEST(ApiRateLimitConfig, RoleLimitsAreConfigurable) {
  testing::TempDir dir;
  testing::ManualClock clock{core::SystemClock().now()};
  ApiHarness api(dir, {{"OAUTH_MANAGER_ROLE_RATE_LIMITS_SERVICE", "2"}}, clock);
  const auto service = api.token("calendar-agent", {"service"});
  int limited = 0;
  for (int i = 0; i < 10; ++i) limited += api.get("/v1/providers", service).status == 429 ? 1 : 0;
  EXPECT_EQ(limited, 6) << "a burst of 4 (twice the rate), then refused while the clock stands";
}

class ApiRateLimitTest : public ApiAuthTest {
 protected:
  void SetUp() override {
    api_ = std::make_unique<ApiHarness>(
        dir_,
        config::Environment{{"OAUTH_MANAGER_RATE_LIMIT_BURST", "3"},
                            {"OAUTH_MANAGER_RATE_LIMIT_REQUESTS_PER_SECOND", "1"}},
        clock_);
  }
};

// The callback is anonymous: each one costs a state lookup and write. One client IP gets the
// same burst as a caller, then 429, and the flood never reaches the database.
TEST_F(ApiRateLimitTest, TheAnonymousCallbackIsLimitedPerClientIp) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(api_->get("/v1/oauth/callback/google?state=x&code=y", std::nullopt).status, 400);
  }
  const auto limited = api_->get("/v1/oauth/callback/google?state=x&code=y", std::nullopt);
  EXPECT_EQ(limited.status, 429) << limited.raw;
  EXPECT_EQ(limited.body["code"], "rate_limited");
  EXPECT_TRUE(limited.header("Retry-After"));
}

TEST_F(ApiRateLimitTest, ACallerOverItsBurstGets429WithRetryAfter) {
  const auto alice = api_->token("alice", {"user"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(api_->get("/v1/integrations", alice).status, 200);
  const auto limited = api_->get("/v1/integrations", alice);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body["code"], "rate_limited");
  EXPECT_EQ(limited.header("Retry-After"), "1");
  // Another caller has its own bucket; and alice's refills with time.
  EXPECT_EQ(api_->get("/v1/integrations", api_->token("bob", {"user"})).status, 200);
  clock_.advance(std::chrono::milliseconds(1000));
  EXPECT_EQ(api_->get("/v1/integrations", alice).status, 200);
  EXPECT_EQ(api_->get("/v1/integrations", alice).status, 429);
}

TEST_F(ApiRateLimitTest, UnauthenticatedRequestsAreLimitedPerAddress) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(api_->get("/v1/integrations", std::nullopt).status, 401);
  EXPECT_EQ(api_->get("/v1/integrations", std::nullopt).status, 429);
  EXPECT_EQ(api_->audit_events().size(), 3U);  // a flood cannot fill the audit trail
}

// --- Redis: session revocation and shared rate limits ---

std::string redis_command(const std::string& url, const std::vector<std::string>& args) {
  net::RedisClient client(*net::parse_redis_url(url), std::chrono::milliseconds(1000), 1);
  auto reply = client.command(args);
  return reply ? reply->text + std::to_string(reply->integer) : "error";
}

class ApiSessionTest : public ::testing::Test {
 protected:
  std::unique_ptr<ApiHarness> harness(const std::string& redis_url,
                                      const std::string& failure = "closed") {
    return std::make_unique<ApiHarness>(
        dir_,
        config::Environment{{"OAUTH_MANAGER_REDIS_URL", redis_url},
                            {"OAUTH_MANAGER_AUTH_SESSION_CLAIM", "sid"},
                            {"OAUTH_MANAGER_AUTH_SESSION_KEY_PATTERN", "app:session:{sid}"},
                            {"OAUTH_MANAGER_AUTH_SESSION_FAILURE", failure}},
        clock_);
  }
  std::string session_id() { return "s-" + core::new_id(random_); }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::OpenSslRandom random_;
};

TEST_F(ApiSessionTest, ALoggedOutSessionIsRejectedBeforeItsTokenExpires) {
  OAM_REQUIRE_REDIS(redis_url);
  auto api = harness(*redis_url);
  const auto sid = session_id();
  redis_command(*redis_url, {"SET", "app:session:" + sid, "1"});
  const auto token = api->token("alice", {"user"}, {{"sid", sid}});
  EXPECT_EQ(api->get("/v1/integrations", token).status, 200);

  redis_command(*redis_url, {"DEL", "app:session:" + sid});  // the application logs alice out
  const auto reply = api->get("/v1/integrations", token);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.body["detail"], "the session has ended (logged out)");
  const auto without_sid = api->get("/v1/integrations", api->token("alice", {"user"}));
  EXPECT_EQ(without_sid.status, 401);
  EXPECT_NE(without_sid.body["detail"].get<std::string>().find("sid"), std::string::npos);
}

TEST_F(ApiSessionTest, RedisDownFailsClosedWith503ByDefault) {
  OAM_START_OWN_REDIS(redis);
  auto api = harness(redis->url());
  const auto sid = session_id();
  redis_command(redis->url(), {"SET", "app:session:" + sid, "1"});
  const auto token = api->token("alice", {"user"}, {{"sid", sid}});
  ASSERT_EQ(api->get("/v1/integrations", token).status, 200);

  redis->stop();
  const auto reply = api->get("/v1/integrations", token);
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body["code"], "unavailable");
}

TEST_F(ApiSessionTest, RedisDownFailsOpenWhenConfigured) {
  OAM_START_OWN_REDIS(redis);
  auto api = harness(redis->url(), "open");
  const auto token = api->token("alice", {"user"}, {{"sid", session_id()}});
  redis->stop();
  EXPECT_EQ(api->get("/v1/integrations", token).status, 200);
}

TEST_F(ApiSessionTest, ReplicasShareOneRateLimitThroughRedis) {
  OAM_REQUIRE_REDIS(redis_url);
  const config::Environment env = {{"OAUTH_MANAGER_REDIS_URL", *redis_url},
                                   {"OAUTH_MANAGER_RATE_LIMIT_BURST", "2"},
                                   {"OAUTH_MANAGER_RATE_LIMIT_REQUESTS_PER_SECOND", "1"}};
  testing::TempDir other_dir;
  ApiHarness first(dir_, env, clock_);
  ApiHarness second(other_dir, env, clock_);
  // A subject of its own, so earlier runs against the same Redis do not count.
  const auto subject = "person-" + core::new_id(random_);
  const auto token = first.token(subject, {"user"});
  EXPECT_EQ(first.get("/v1/integrations", token).status, 200);
  EXPECT_EQ(second.get("/v1/integrations", token).status, 200);
  const auto limited = first.get("/v1/integrations", token);
  EXPECT_EQ(limited.status, 429);
  EXPECT_TRUE(limited.header("Retry-After"));
}

}  // namespace
}  // namespace oauth_manager
