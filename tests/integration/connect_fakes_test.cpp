// The connect flow against small fakes that reproduce documented provider behaviour no real
// server here has (Notion's token endpoint, Microsoft's tenant issuer template, Google's
// parameters and fewer-scopes-granted answers), and the attacks the callback must refuse.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/text.hpp"

#include <sstream>
#include <thread>

#include "crypto/encoding.hpp"
#include "crypto/pkce.hpp"
#include "net/url.hpp"
#include "support/api_harness.hpp"
#include "support/fake_provider.hpp"
#include "support/manual_clock.hpp"
#include "support/raw_http.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;
using testing::ApiHarness;
using testing::FakeProvider;
using testing::Reply;

constexpr const char* kClientId = "fake-client-id";
constexpr const char* kClientSecret = "fake-client-secret:with/odd+chars";
constexpr const char* kTenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
constexpr const char* kReturnTo = "https://app.example.test/settings";

// A started authorization as the browser would carry it.
struct Started {
  std::string url;  // the provider's, where our start link sent the browser
  std::map<std::string, std::string> params;
  std::string cookie;  // the binding cookie the start link set
  std::string state() const { return params.at("state"); }
  std::optional<std::string> nonce() const {
    const auto found = params.find("nonce");
    return found == params.end() ? std::nullopt : std::optional(found->second);
  }
};

class ConnectFakesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Environment env = {
        {"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example.test"},
        {"OAUTH_MANAGER_SERVER_ALLOWED_RETURN_URLS", kReturnTo},
    };
    for (const std::string provider : {"GOOGLE", "MICROSOFT", "NOTION"}) {
      const auto key = [&](const std::string& name) {
        return "OAUTH_MANAGER_PROVIDERS_" + provider + "_" + name;
      };
      env[key("CLIENT_ID")] = kClientId;
      env[key("CLIENT_SECRET")] = kClientSecret;
      env[key("ALLOW_INSECURE_LOOPBACK")] = "true";
      env[key("AUTHORIZATION_ENDPOINT")] = fake_.url("/authorize");
      env[key("TOKEN_ENDPOINT")] = fake_.url("/token");
      if (provider != "NOTION") {
        env[key("JWKS_URI")] = fake_.url("/jwks");
        env[key("USERINFO_ENDPOINT")] = fake_.url("/userinfo");
      }
    }
    api_ = std::make_unique<ApiHarness>(dir_, env, clock_);
  }

  Started start(const std::string& provider,
                const nlohmann::json& body = {{"return_to", kReturnTo}},
                const std::string& user = "alice") {
    const auto reply = api_->post("/v1/integrations/" + provider + "/authorize",
                                  api_->token(user, {"user"}), body.dump());
    EXPECT_EQ(reply.status, 201) << reply.raw;
    const auto link = api_->open_start_link(reply.body.value("authorization_url", ""));
    EXPECT_EQ(link.status, 303) << link.raw;
    Started started;
    started.url = link.provider_url;
    started.params = testing::query_params(started.url);
    started.cookie = link.cookie;
    last_cookie_ = link.cookie;
    return started;
  }

  // The callback from the browser that opened the last start link.
  Reply callback(const std::string& provider, const std::string& query) {
    return api_->get("/v1/oauth/callback/" + provider + "?" + query, std::nullopt,
                     {{"Cookie", last_cookie_}});
  }

  Reply finish(const std::string& provider, const Started& started, const std::string& extra = "") {
    return api_->get(
        "/v1/oauth/callback/" + provider + "?code=the-code&state=" + started.state() + extra,
        std::nullopt, {{"Cookie", started.cookie}});
  }

  std::int64_t now_seconds() const { return clock_.unix_seconds(); }

  nlohmann::json google_claims(const Started& started) const {
    return {{"iss", "https://accounts.google.com"},
            {"sub", "google-user-1"},
            {"aud", kClientId},
            {"email", "alice@gmail.example"},
            {"name", "Alice A."},
            {"iat", now_seconds()},
            {"exp", now_seconds() + 3600},
            {"nonce", started.nonce().value_or("")}};
  }

  nlohmann::json token_answer(const std::string& id_token, const std::string& scope = "") const {
    nlohmann::json body = {{"access_token", "ya29.fake-access-token"},
                           {"token_type", "Bearer"},
                           {"expires_in", 3599},
                           {"refresh_token", "1//fake-refresh-token"},
                           {"id_token", id_token}};
    if (!scope.empty()) body["scope"] = scope;
    return body;
  }

  // Whether the SQLite file (and its write-ahead log) holds `text` anywhere.
  bool stored_bytes_contain(const std::string& text) const {
    std::string bytes;
    for (const char* file : {"api.db", "api.db-wal"}) {
      std::ifstream in(dir_ / file, std::ios::binary);
      bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return bytes.find(text) != std::string::npos;
  }

  std::size_t stored_integrations(const std::string& user = "alice") {
    return api_->store().list_integrations(user, std::nullopt)->size();
  }

  // The flow failed with `code` (as a redirect to return_to), and nothing was stored.
  void expect_refused(const Reply& reply, const std::string& code) {
    ASSERT_EQ(reply.status, 303) << reply.raw;
    const auto back = testing::query_params(*reply.header("Location"));
    EXPECT_EQ(back.at("status"), "error");
    EXPECT_EQ(back.at("error"), code);
    EXPECT_EQ(stored_integrations(), 0U);
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  FakeProvider fake_;
  std::string last_cookie_;
  std::unique_ptr<ApiHarness> api_;
};

// --- Google (documented parameters, fewer scopes granted) ---

TEST_F(ConnectFakesTest, GoogleAuthorizationUrlCarriesItsDocumentedParameters) {
  const auto started = start(
      "google", {{"scopes", {"openid", "email", "https://www.googleapis.com/auth/calendar"}}});
  EXPECT_EQ(started.url.rfind(fake_.url("/authorize?"), 0), 0U) << started.url;
  const auto& p = started.params;
  EXPECT_EQ(p.at("response_type"), "code");
  EXPECT_EQ(p.at("client_id"), kClientId);
  EXPECT_EQ(p.at("redirect_uri"), "https://oauth.example.test/v1/oauth/callback/google");
  EXPECT_EQ(p.at("scope"), "openid email https://www.googleapis.com/auth/calendar");
  EXPECT_EQ(p.at("access_type"), "offline");
  EXPECT_EQ(p.at("prompt"), "consent");
  EXPECT_EQ(p.at("include_granted_scopes"), "true");
  EXPECT_EQ(p.at("code_challenge_method"), "S256");
  EXPECT_EQ(p.at("state").size(), 43U);
  EXPECT_TRUE(started.nonce());
}

TEST_F(ConnectFakesTest, GoogleGrantingFewerScopesIsRecordedAsGranted) {
  const std::vector<std::string> requested = {"openid", "email",
                                              "https://www.googleapis.com/auth/calendar"};
  const auto started = start("google", {{"scopes", requested}, {"return_to", kReturnTo}});
  fake_.answer_token(200, token_answer(fake_.key().sign(google_claims(started)), "openid email"));
  const auto reply = finish("google", started);
  ASSERT_EQ(reply.status, 303) << reply.raw;
  EXPECT_EQ(testing::query_params(*reply.header("Location")).at("status"), "connected");

  const auto integrations = *api_->store().list_integrations("alice", std::nullopt);
  ASSERT_EQ(integrations.size(), 1U);
  EXPECT_EQ(integrations[0].granted_scopes, (std::vector<std::string>{"openid", "email"}));
  EXPECT_EQ(integrations[0].provider_account_id, "google-user-1");
  EXPECT_EQ(integrations[0].account_email, "alice@gmail.example");
  const auto consents = *api_->store().list_consents("alice");
  ASSERT_EQ(consents.size(), 1U);
  EXPECT_EQ(consents[0].requested_scopes, requested);
  EXPECT_EQ(consents[0].granted_scopes, (std::vector<std::string>{"openid", "email"}));

  // client_secret_basic with the form-encoded credentials, and the PKCE verifier of this flow.
  const auto requests = fake_.token_requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].authorization,
            "Basic " + crypto::base64_encode(net::percent_encode(kClientId) + ":" +
                                             net::percent_encode(kClientSecret)));
  const auto form = testing::query_params("?" + requests[0].body);
  EXPECT_EQ(form.at("grant_type"), "authorization_code");
  EXPECT_EQ(form.at("code"), "the-code");
  EXPECT_EQ(form.at("redirect_uri"), "https://oauth.example.test/v1/oauth/callback/google");
  EXPECT_EQ(crypto::pkce_s256_challenge(form.at("code_verifier")),
            started.params.at("code_challenge"));
  EXPECT_EQ(form.count("client_secret"), 0U);
}

// An id_token minted long before this exchange (replayed, or prepared in advance) is refused,
// even with the right nonce and a valid signature.
TEST_F(ConnectFakesTest, AnIdTokenIssuedLongBeforeTheExchangeIsRefused) {
  const auto started = start("google");
  auto claims = google_claims(started);
  claims["iat"] = now_seconds() - 600;
  fake_.answer_token(200, token_answer(fake_.key().sign(claims)));
  expect_refused(finish("google", started), "provider_error");
  EXPECT_TRUE(api_->store().list_integrations("alice", std::nullopt)->empty());
}

// The callback URL carries a code and a state: its answer is never cached and never leaks the URL
// through Referer. A hostile error= from the "provider" is reduced to RFC 6749's character set,
// never reflected as it came, and the state is spent all the same.
TEST_F(ConnectFakesTest, TheCallbackIsUncachedReferrerFreeAndSanitisesAHostileError) {
  const auto started = start("google");
  const auto refused = callback("google",
                                "error=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%0d%0aSet-Cookie:x&"
                                "error_description=%3Cimg%20src%3Dx%3E&state=" +
                                    started.state());
  ASSERT_EQ(refused.status, 303) << refused.raw;
  EXPECT_EQ(refused.header("Cache-Control"), "no-store");
  EXPECT_EQ(refused.header("Referrer-Policy"), "no-referrer");
  const auto location = *refused.header("Location");
  EXPECT_EQ(location.find('<'), std::string::npos) << location;
  EXPECT_EQ(location.find_first_of("\r\n\"' "), std::string::npos) << location;
  EXPECT_EQ(location.find("img"), std::string::npos) << "error_description is not reflected";
  const auto back = testing::query_params(location);
  EXPECT_EQ(back.at("status"), "error");
  EXPECT_EQ(back.at("error"), "scriptalert1scriptSet-Cookiex") << "only [A-Za-z0-9_.-] kept";
  // The only cookie set is ours, expiring the flow's binding: nothing injected.
  for (std::size_t at = refused.raw.find("\r\nSet-Cookie"); at != std::string::npos;
       at = refused.raw.find("\r\nSet-Cookie", at + 1)) {
    const std::string ours = "\r\nSet-Cookie: __Host-oam_flow_";
    EXPECT_EQ(refused.raw.compare(at, ours.size(), ours), 0) << refused.raw.substr(at, 60);
  }

  fake_.answer_token(200, token_answer(fake_.key().sign(google_claims(started))));
  const auto replay = finish("google", started);
  EXPECT_EQ(replay.status, 400) << "the state was spent by the error: " << replay.raw;
  EXPECT_EQ(stored_integrations(), 0U);
  EXPECT_TRUE(fake_.token_requests().empty());
}

// Over https the binding cookie is __Host- (neither a plain-http page nor a sibling subdomain can
// plant one), HttpOnly and Lax (it comes back on the provider's top-level redirect).
TEST_F(ConnectFakesTest, TheStartLinkSetsAStrictCookieAndGoesToTheProvider) {
  const auto reply =
      api_->post("/v1/integrations/google/authorize", api_->token("alice", {"user"}), "{}");
  const auto link = reply.body["authorization_url"].get<std::string>();
  EXPECT_EQ(link.rfind("https://oauth.example.test/v1/oauth/start/", 0), 0U) << link;
  const auto opened = api_->get(net::parse_url(link)->target, std::nullopt);
  ASSERT_EQ(opened.status, 303) << opened.raw;
  EXPECT_EQ(opened.header("Location")->rfind(fake_.url("/authorize"), 0), 0U);
  EXPECT_EQ(opened.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(opened.header("Cache-Control"), "no-store");
  const auto cookie = *opened.header("Set-Cookie");
  EXPECT_EQ(cookie.rfind("__Host-oam_flow_", 0), 0U) << cookie;
  EXPECT_EQ(cookie.find("Domain="), std::string::npos);
  for (const char* attribute :
       {"; Path=/;", "; Max-Age=600;", "; HttpOnly", "; SameSite=Lax", "; Secure"}) {
    EXPECT_NE(cookie.find(attribute), std::string::npos) << attribute << " in " << cookie;
  }
  const auto value = cookie.substr(cookie.find('=') + 1, cookie.find(';') - cookie.find('=') - 1);
  EXPECT_EQ(value.size(), 43U) << "256 random bits";
  EXPECT_EQ(stored_bytes_contain(value), false) << "only its hash is stored";
}

// A second visit of the start link is refused, in words a person reads, with no script.
TEST_F(ConnectFakesTest, ABrowserIsToldInAPageWhatWentWrong) {
  const auto reply =
      api_->post("/v1/integrations/google/authorize", api_->token("alice", {"user"}), "{}");
  const auto target = net::parse_url(reply.body["authorization_url"].get<std::string>())->target;
  ASSERT_EQ(api_->get(target, std::nullopt).status, 303);
  const auto page = api_->get(target, std::nullopt, {{"Accept", "text/html,*/*;q=0.8"}});
  EXPECT_EQ(page.status, 400);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.raw.find("already opened"), std::string::npos) << page.raw;
  EXPECT_NE(page.raw.find("<code>start_link_used</code>"), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy")->find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(page.raw.find("<script"), std::string::npos);
  EXPECT_EQ(page.header("Set-Cookie"), std::nullopt);
  const auto json = api_->get(target, std::nullopt);
  EXPECT_EQ(json.body["code"], "start_link_used") << "problem+json for a program";
}

// A cookie of the right name with another value (planted, or from another flow) is refused
// before the code is exchanged.
TEST_F(ConnectFakesTest, ACallbackWithAnotherCookieValueIsRefusedBeforeTheExchange) {
  const auto started = start("google");
  auto forged = started;
  forged.cookie = started.cookie.substr(0, started.cookie.find('=') + 1) + std::string(43, 'A');
  const auto reply = finish("google", forged);
  EXPECT_EQ(reply.status, 400) << reply.raw;
  EXPECT_EQ(reply.body["code"], "browser_mismatch");
  EXPECT_TRUE(fake_.token_requests().empty());
  EXPECT_EQ(stored_integrations(), 0U);
  EXPECT_EQ(finish("google", started).body["code"], "state_invalid") << "the state is spent";
}

// OIDC Core §3.1.3.7: the nonce this flow sent must come back in the id_token; none is a replay.
TEST_F(ConnectFakesTest, AnIdTokenWithoutTheNonceIsRefused) {
  const auto started = start("google");
  auto claims = google_claims(started);
  claims.erase("nonce");
  fake_.answer_token(200, token_answer(fake_.key().sign(claims)));
  expect_refused(finish("google", started), "provider_error");
}

// Abandoned and forged flows leave states behind; once expired they are purged, used or not.
TEST_F(ConnectFakesTest, ExpiredStatesArePurged) {
  const auto abandoned = start("google");
  const auto used = start("google");
  fake_.answer_token(200, token_answer(fake_.key().sign(google_claims(used))));
  ASSERT_EQ(finish("google", used).status, 303);
  auto& purger = api_->service().state_purger();
  EXPECT_EQ(*testing::run_on(api_->io(), purger.purge_once()), 0) << "nothing has expired yet";
  clock_.advance(std::chrono::minutes(11));  // states live 10 minutes
  const auto fresh = start("google");
  EXPECT_EQ(*testing::run_on(api_->io(), purger.purge_once()), 2);
  const auto gone = finish("google", abandoned);
  EXPECT_EQ(gone.status, 400) << gone.raw;
  EXPECT_EQ(gone.body["code"], "state_invalid") << "as for a state never issued";
  fake_.answer_token(200, token_answer(fake_.key().sign(google_claims(fresh))));
  EXPECT_EQ(testing::query_params(*finish("google", fresh).header("Location")).at("status"),
            "connected")
      << "a live state survives the purge";
}

// A browser that double-submits, or an attacker racing the user with a stolen callback URL: the
// same state and code arrive twice at once. Exactly one exchange happens; the other is refused.
TEST_F(ConnectFakesTest, TwoConcurrentCallbacksWithOneCodeMakeOneExchange) {
  const auto started = start("google");
  fake_.answer_token(200, token_answer(fake_.key().sign(google_claims(started))));
  std::vector<Reply> replies(2);
  std::vector<std::thread> browsers;
  for (auto& reply : replies) {
    browsers.emplace_back([&] { reply = finish("google", started); });
  }
  for (auto& browser : browsers) browser.join();
  int connected = 0;
  int refused = 0;
  for (const auto& reply : replies) {
    if (reply.status == 303 &&
        testing::query_params(*reply.header("Location")).at("status") == "connected") {
      ++connected;
    } else if (reply.status == 400) {
      ++refused;
    }
  }
  EXPECT_EQ(connected, 1);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(fake_.token_requests().size(), 1U);
  EXPECT_EQ(stored_integrations(), 1U);
}

// Tokens are printable ASCII (RFC 6749 A.12, A.17): one with another byte is refused at the
// exchange with a clear error, never stored to break every later hand-out.
TEST_F(ConnectFakesTest, ATokenThatIsNotPrintableAsciiIsRefusedAtTheExchange) {
  for (const std::string bad : {"ya29.caf\u00e9", "ya29.line\nbreak", "ya29.\x01 x"}) {
    const auto started = start("google");
    auto answer = token_answer(fake_.key().sign(google_claims(started)));
    answer["access_token"] = bad;
    fake_.answer_token(200, answer);
    expect_refused(finish("google", started), "provider_error");
  }
  const auto started = start("google");
  auto answer = token_answer(fake_.key().sign(google_claims(started)));
  answer["refresh_token"] = "1//r\u00e9fresh";
  fake_.answer_token(200, answer);
  expect_refused(finish("google", started), "provider_error");
}

TEST_F(ConnectFakesTest, GooglesLegacyIssuerAndItsCallbackIssAreAccepted) {
  const auto started = start("google");
  auto claims = google_claims(started);
  claims["iss"] = "accounts.google.com";
  fake_.answer_token(200, token_answer(fake_.key().sign(claims)));
  const auto reply = finish("google", started, "&iss=https%3A%2F%2Faccounts.google.com");
  ASSERT_EQ(reply.status, 303) << reply.raw;
  EXPECT_EQ(testing::query_params(*reply.header("Location")).at("status"), "connected");
}

// --- Microsoft (tenant-templated issuer, client_secret_post, rotating refresh tokens) ---

nlohmann::json microsoft_claims(std::int64_t now, const std::optional<std::string>& nonce,
                                const std::string& iss_tenant, const std::string& tid) {
  return {{"iss", "https://login.microsoftonline.com/" + iss_tenant + "/v2.0"},
          {"tid", tid},
          {"sub", "pairwise-sub"},
          {"oid", "00000000-0000-0000-66f3-3332eca7ea81"},
          {"aud", kClientId},
          {"email", "alice@outlook.example"},
          {"name", "Alice M."},
          {"iat", now},
          {"exp", now + 3600},
          {"nonce", nonce.value_or("")}};
}

TEST_F(ConnectFakesTest, MicrosoftIssuerTemplateIsFilledFromTheTokensTenant) {
  const auto started = start("microsoft");
  EXPECT_NE(started.params.at("scope").find("offline_access"), std::string::npos);
  fake_.answer_token(200, token_answer(fake_.key().sign(
                              microsoft_claims(now_seconds(), started.nonce(), kTenant, kTenant))));
  const auto reply = finish("microsoft", started);
  ASSERT_EQ(reply.status, 303) << reply.raw;
  EXPECT_EQ(testing::query_params(*reply.header("Location")).at("status"), "connected");
  const auto integrations = *api_->store().list_integrations("alice", std::nullopt);
  ASSERT_EQ(integrations.size(), 1U);
  // Keyed on tid and oid: an oid is unique within its tenant only.
  EXPECT_EQ(integrations[0].provider_account_id,
            std::string(kTenant) + "/00000000-0000-0000-66f3-3332eca7ea81");

  // client_secret_post: the credentials in the body, no Basic header.
  const auto requests = fake_.token_requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_TRUE(requests[0].authorization.empty());
  const auto form = testing::query_params("?" + requests[0].body);
  EXPECT_EQ(form.at("client_id"), kClientId);
  EXPECT_EQ(form.at("client_secret"), kClientSecret);
}

TEST_F(ConnectFakesTest, MicrosoftIssuerOfAnotherTenantThanTidIsRefused) {
  const auto started = start("microsoft");
  fake_.answer_token(200, token_answer(fake_.key().sign(microsoft_claims(
                              now_seconds(), started.nonce(), "other-tenant", kTenant))));
  expect_refused(finish("microsoft", started), "provider_error");
}

// --- Notion (Basic auth, JSON body, account from the token response, no id_token) ---

TEST_F(ConnectFakesTest, NotionUsesBasicAuthAJsonBodyAndTheTokenResponsesOwner) {
  const auto started = start("notion");
  EXPECT_EQ(started.params.at("owner"), "user");
  EXPECT_EQ(started.params.count("code_challenge"), 0U);  // not in Notion's documentation
  EXPECT_FALSE(started.nonce());
  fake_.answer_token(200, {{"access_token", "secret_notion_access"},
                           {"token_type", "bearer"},
                           {"refresh_token", "secret_notion_refresh"},
                           {"bot_id", "bot-123"},
                           {"workspace_id", "ws-1"},
                           {"workspace_name", "Alice's Workspace"},
                           {"workspace_icon", nullptr},
                           {"owner",
                            {{"type", "user"},
                             {"user",
                              {{"object", "user"},
                               {"id", "user-9"},
                               {"person", {{"email", "alice@notion.example"}}}}}}},
                           {"duplicated_template_id", nullptr},
                           {"request_id", "r-1"}});
  const auto reply = finish("notion", started);
  ASSERT_EQ(reply.status, 303) << reply.raw;
  const auto integrations = *api_->store().list_integrations("alice", std::nullopt);
  ASSERT_EQ(integrations.size(), 1U);
  EXPECT_EQ(integrations[0].provider_account_id, "bot-123");
  EXPECT_EQ(integrations[0].account_email, "alice@notion.example");
  EXPECT_EQ(integrations[0].account_name, "Alice's Workspace");
  const auto tokens = *api_->store().get_tokens(integrations[0].id);
  EXPECT_FALSE(tokens.expires_at);  // Notion sends no expires_in

  const auto requests = fake_.token_requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].authorization,
            "Basic " + crypto::base64_encode(std::string(kClientId) + ":" + kClientSecret));
  EXPECT_EQ(requests[0].content_type, "application/json");
  const auto body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body, (nlohmann::json{
                      {"grant_type", "authorization_code"},
                      {"code", "the-code"},
                      {"redirect_uri", "https://oauth.example.test/v1/oauth/callback/notion"}}));
  const bool versioned = std::any_of(requests[0].headers.begin(), requests[0].headers.end(),
                                     [](const auto& h) { return h.first == "notion-version"; });
  EXPECT_TRUE(versioned);
}

// --- Attacks on the callback: each refused with its documented error, nothing stored ---

TEST_F(ConnectFakesTest, IdTokensThatMustNotPass) {
  struct Case {
    std::string name;
    std::function<std::string(const Started&)> id_token;
  };
  const auto other_key = testing::SigningKey::rsa("unknown-kid");
  const std::vector<Case> cases = {
      {"alg none",
       [&](const Started& s) {
         return testing::assemble_jws({{"alg", "none"}}, google_claims(s), "");
       }},
      {"wrong aud",
       [&](const Started& s) {
         auto claims = google_claims(s);
         claims["aud"] = "someone-else";
         return fake_.key().sign(claims);
       }},
      {"wrong nonce",
       [&](const Started& s) {
         auto claims = google_claims(s);
         claims["nonce"] = "not-the-nonce";
         return fake_.key().sign(claims);
       }},
      {"expired",
       [&](const Started& s) {
         auto claims = google_claims(s);
         claims["exp"] = now_seconds() - 3600;
         return fake_.key().sign(claims);
       }},
      {"unknown kid", [&](const Started& s) { return other_key.sign(google_claims(s)); }},
      {"bad signature",
       [&](const Started& s) {
         auto token = fake_.key().sign(google_claims(s));
         token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
         return token;
       }},
      {"wrong issuer",
       [&](const Started& s) {
         auto claims = google_claims(s);
         claims["iss"] = "https://evil.example";
         return fake_.key().sign(claims);
       }},
      {"HS256 with the client secret",
       [&](const Started& s) { return testing::sign_hs256(google_claims(s), kClientSecret); }},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    const auto started = start("google");
    fake_.answer_token(200, token_answer(test_case.id_token(started)));
    expect_refused(finish("google", started), "provider_error");
  }
  const auto events = api_->audit_events();
  const auto failures = std::count_if(events.begin(), events.end(), [](const auto& event) {
    return event.event == "integration.connect_failed";
  });
  EXPECT_EQ(failures, static_cast<long>(cases.size()));
  for (const auto& event : events) {
    EXPECT_EQ(event.details.find("ya29.fake-access-token"), std::string::npos);
  }
}

TEST_F(ConnectFakesTest, AnOpenIdProviderAnsweringWithoutIdTokenIsRefused) {
  const auto started = start("google");
  auto answer = token_answer("");
  answer.erase("id_token");
  fake_.answer_token(200, answer);
  expect_refused(finish("google", started), "provider_error");
}

TEST_F(ConnectFakesTest, AFailedCodeExchangeIsRefused) {
  const auto started = start("google");
  fake_.answer_token(400, {{"error", "invalid_grant"}, {"error_description", "Bad Request"}});
  expect_refused(finish("google", started), "provider_error");
}

TEST_F(ConnectFakesTest, AWrongCallbackIssIsRefusedAndTheStateIsSpent) {
  const auto started = start("google");
  fake_.answer_token(200, token_answer(fake_.key().sign(google_claims(started))));
  expect_refused(finish("google", started, "&iss=https%3A%2F%2Fevil.example"), "invalid_request");
  EXPECT_TRUE(fake_.token_requests().empty()) << "the code must not even be exchanged";
  const auto again = finish("google", started);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.body["code"], "state_invalid");
}

TEST_F(ConnectFakesTest, AnExpiredStateIsRefused) {
  const auto started = start("google");
  clock_.advance(11min);
  const auto reply = finish("google", started);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body["code"], "state_expired");
  EXPECT_TRUE(fake_.token_requests().empty());
}

TEST_F(ConnectFakesTest, AStateMadeForAnotherProviderIsRefused) {
  const auto started = start("google");
  const auto reply = finish("microsoft", started);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body["code"], "state_invalid");
  EXPECT_EQ(finish("google", started).body["code"], "state_invalid");  // spent
}

TEST_F(ConnectFakesTest, UnknownMissingAndMalformedStatesAreRefused) {
  EXPECT_EQ(callback("google", "code=x").body["code"], "state_invalid");
  EXPECT_EQ(callback("google", "code=x&state=" + std::string(43, 'A')).body["code"],
            "state_invalid");
  EXPECT_EQ(callback("google", "code=x&state=short").body["code"], "state_invalid");
  const auto started = start("google");
  const auto duplicated = callback("google", "code=x&state=" + started.state() + "&state=y");
  EXPECT_EQ(duplicated.status, 400);
  EXPECT_EQ(duplicated.body["code"], "invalid_request");
  EXPECT_EQ(callback("google", "code=%zz&state=" + started.state()).status, 400);
  const auto oversized =
      callback("google", "state=" + started.state() + "&pad=" + std::string(9000, 'x'));
  EXPECT_EQ(oversized.status, 400);
  EXPECT_EQ(callback("nowhere", "code=x&state=" + started.state()).body["code"], "state_invalid");
  EXPECT_EQ(stored_integrations(), 0U);
}

TEST_F(ConnectFakesTest, ReturnToMustBeAnAllowedUrl) {
  for (const std::string target :
       {"https://evil.example/settings", "https://app.example.test.evil.example/settings",
        "https://app.example.test/settings-evil", "http://app.example.test/settings",
        "https://app.example.test:8443/settings", "https://app.example.test/other",
        "//evil.example/settings", "javascript:alert(1)",
        "https://app.example.test\\@evil.example/settings"}) {
    const auto reply =
        api_->post("/v1/integrations/google/authorize", api_->token("alice", {"user"}),
                   nlohmann::json{{"return_to", target}}.dump());
    EXPECT_EQ(reply.status, 400) << target;
    EXPECT_EQ(reply.body["code"], "invalid_request") << target;
  }
  const auto allowed =
      api_->post("/v1/integrations/google/authorize", api_->token("alice", {"user"}),
                 nlohmann::json{{"return_to", std::string(kReturnTo) + "/google?x=1"}}.dump());
  EXPECT_EQ(allowed.status, 201) << allowed.raw;
}

TEST_F(ConnectFakesTest, AuthorizeRefusesUnknownScopesProvidersFieldsAndOtherUsers) {
  const auto alice = api_->token("alice", {"user"});
  const auto scopes = api_->post("/v1/integrations/google/authorize", alice,
                                 R"({"scopes":["openid","https://evil.example/all"]})");
  EXPECT_EQ(scopes.status, 400);
  EXPECT_NE(scopes.body["detail"].get<std::string>().find("https://evil.example/all"),
            std::string::npos);
  const auto provider = api_->post("/v1/integrations/myspace/authorize", alice, "{}");
  EXPECT_EQ(provider.status, 404);
  EXPECT_EQ(provider.body["code"], "provider_unknown");
  const auto field = api_->post("/v1/integrations/google/authorize", alice, R"({"scope":"x"})");
  EXPECT_EQ(field.status, 400);
  EXPECT_NE(field.body["detail"].get<std::string>().find("\"scope\""), std::string::npos);
  EXPECT_EQ(api_->post("/v1/integrations/google/authorize", alice, R"({"user_id":"bob"})").status,
            404);
  EXPECT_EQ(api_->post("/v1/integrations/google/authorize", api_->token("admin", {"admin"}),
                       R"({"user_id":"bob"})")
                .status,
            201);
  EXPECT_EQ(api_->post("/v1/integrations/google/authorize", std::nullopt, "{}").status, 401);
}

TEST_F(ConnectFakesTest, ProvidersAreListedWithTheirScopes) {
  const auto reply = api_->get("/v1/providers", api_->token("alice", {"user"}));
  ASSERT_EQ(reply.status, 200) << reply.raw;
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& provider : reply.body["providers"]) by_id[provider["id"]] = provider;
  ASSERT_EQ(by_id.size(), 3U);
  EXPECT_EQ(by_id["google"]["display_name"], "Google");
  EXPECT_EQ(by_id["google"]["default_scopes"], (nlohmann::json{"openid", "email", "profile"}));
  const auto& scopes = by_id["microsoft"]["scopes"];
  EXPECT_TRUE(std::any_of(scopes.begin(), scopes.end(), [](const nlohmann::json& scope) {
    return scope["name"] == "Calendars.Read" && !scope["description"].get<std::string>().empty();
  }));
  EXPECT_EQ(reply.raw.find(kClientSecret), std::string::npos);
}

}  // namespace
}  // namespace oauth_manager
