#include <gtest/gtest.h>

#include "config/config.hpp"
#include "providers/callback_rules.hpp"
#include "providers/catalog.hpp"
#include "providers/oauth_client.hpp"
#include "support/temp_dir.hpp"

namespace oauth_manager {
namespace {

constexpr const char* kKey = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr const char* kJwtSecret = "a-development-jwt-secret-of-at-least-32-bytes";

config::Environment with_required(config::Environment extra) {
  extra.emplace("OAUTH_MANAGER_CRYPTO_KEYS", kKey);
  extra.emplace("OAUTH_MANAGER_AUTH_HS256_SECRET", kJwtSecret);
  extra.emplace("OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager");
  return extra;
}

std::string describe(const config::ConfigLoad& load) {
  std::string text;
  for (const auto& problem : load.problems) text += problem.key + ": " + problem.message + "\n";
  return text;
}

TEST(Catalog, EveryBuiltInProviderParsesWithItsDocumentedShape) {
  const auto& catalog = providers::builtin_catalog();
  ASSERT_EQ(catalog.size(), 4U);
  const auto& google = catalog.at("google");
  EXPECT_EQ(google.issuer, "https://accounts.google.com");
  EXPECT_EQ(google.client_auth, providers::ClientAuth::client_secret_basic);
  EXPECT_TRUE(google.pkce);
  EXPECT_FALSE(google.refresh_token_rotates);
  EXPECT_GE(google.scopes.size(), 10U);
  const auto& microsoft = catalog.at("microsoft");
  EXPECT_EQ(microsoft.issuer, "https://login.microsoftonline.com/{tenantid}/v2.0");
  EXPECT_FALSE(microsoft.revocation_endpoint);
  EXPECT_TRUE(microsoft.refresh_token_rotates);
  EXPECT_EQ(microsoft.account.id, "/oid");
  EXPECT_EQ(microsoft.account.tenant, "/tid");
  const auto& notion = catalog.at("notion");
  EXPECT_FALSE(notion.is_openid());
  EXPECT_EQ(notion.client_auth, providers::ClientAuth::client_secret_basic_json);
  EXPECT_EQ(notion.account_source, providers::AccountSource::token_response);
  EXPECT_EQ(catalog.at("youtube").token_endpoint, google.token_endpoint);
}

TEST(Catalog, ATypoInACatalogFileIsAnErrorNamingIt) {
  const auto parsed = providers::parse_provider_spec(R"(
id = "acme"
display_name = "Acme"
authorization_endpoint = "https://acme.example/authorize"
token_endpoint = "https://acme.example/token"
account_source = "token_response"
scope_seperator = ","
)",
                                                     "providers/acme.toml");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("scope_seperator"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("providers/acme.toml"), std::string::npos);
  EXPECT_FALSE(providers::parse_provider_spec("id = \"x\"\n", "x.toml"));
  EXPECT_FALSE(providers::parse_provider_spec(R"(
id = "x"
display_name = "X"
issuer = "https://x.example"
authorization_endpoint = "https://x.example/a"
token_endpoint = "https://x.example/t"
)",
                                              "x.toml"))
      << "an OpenID provider without jwks_uri";
}

TEST(ProviderConfig, ACatalogProviderNeedsOnlyItsClientCredentials) {
  const auto load = config::load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_PROVIDERS_MICROSOFT_CLIENT_ID", "app-id"},
                                   {"OAUTH_MANAGER_PROVIDERS_MICROSOFT_CLIENT_SECRET", "s3cret"},
                                   {"OAUTH_MANAGER_PROVIDERS_MICROSOFT_TENANT", "contoso.example"},
                                   {"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example"}}));
  ASSERT_TRUE(load.config) << describe(load);
  ASSERT_EQ(load.config->providers.size(), 1U);
  const auto& microsoft = load.config->providers[0];
  EXPECT_EQ(microsoft.spec.token_endpoint,
            "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token");
  EXPECT_EQ(microsoft.redirect_uri, "https://oauth.example/v1/oauth/callback/microsoft");
  EXPECT_EQ(microsoft.client_secret, "s3cret");
  EXPECT_TRUE(microsoft.allows_scope("Calendars.Read"));
  EXPECT_FALSE(microsoft.allows_scope("Directory.ReadWrite.All"));
}

TEST(ProviderConfig, ProblemsNameTheKeyAndNeverTheSecret) {
  const auto load = config::load_config(
      std::nullopt,
      with_required({{"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_SECRET", "do-not-print-me"},
                     {"OAUTH_MANAGER_PROVIDERS_GOOGLE_TOKEN_ENDPOINT", "http://10.0.0.1/token"},
                     {"OAUTH_MANAGER_PROVIDERS_MY_IDP_CLIENT_ID", "x"},
                     {"OAUTH_MANAGER_PROVIDERS_MY_IDP_CLIENT_SECRET", "y"}}));
  ASSERT_FALSE(load.config);
  const auto text = describe(load);
  EXPECT_NE(text.find("providers.google.client_id: is required"), std::string::npos) << text;
  EXPECT_NE(text.find("providers.google.token_endpoint: must be https://"), std::string::npos)
      << text;
  EXPECT_NE(text.find("providers.my_idp.issuer"), std::string::npos) << text;
  EXPECT_EQ(text.find("do-not-print-me"), std::string::npos);
}

TEST(ProviderConfig, AnyOidcIssuerAndUnknownKeysInTheFile) {
  testing::TempDir dir;
  testing::write_file(dir / "c.toml", R"(
[providers.acme]
issuer = "https://login.acme.example"
client_id = "id"
client_secret = "secret"
scopes = ["openid", "email", "orders.read"]
[providers.google]
client_id = "id"
client_secret = "secret"
clientsecret = "oops"
)");
  const auto load = config::load_config(dir / "c.toml", with_required({}));
  ASSERT_FALSE(load.config);
  const auto text = describe(load);
  EXPECT_NE(text.find("providers.google.clientsecret: unknown provider setting"), std::string::npos)
      << text;
  EXPECT_NE(text.find("did you mean \"client_secret\""), std::string::npos) << text;
  EXPECT_EQ(load.problems.size(), 1U) << text;
}

TEST(TokenResponse, IsReadLenientlyButNeedsAnAccessToken) {
  const auto parsed = providers::parse_token_response(
      {{"access_token", "a"}, {"expires_in", "3600"}, {"ext_expires_in", 3600}, {"scope", "x y"}});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->expires_in, 3600);
  EXPECT_EQ(parsed->token_type, "Bearer");
  EXPECT_EQ(
      providers::parse_token_response({{"access_token", "a"}, {"expires_in", -5}})->expires_in,
      std::nullopt);
  const auto refused = providers::parse_token_response(
      {{"error", "invalid_grant"}, {"error_description", "Token has been expired or revoked."}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::Code::provider_error);
  EXPECT_NE(refused.error().message.find("invalid_grant"), std::string::npos);
  const auto hostile = providers::parse_token_response({{"error", "<script>alert(1)</script>"}});
  EXPECT_EQ(hostile.error().message.find('<'), std::string::npos);
}

// Microsoft's oid is unique within a tenant only: the same oid in another tenant is another
// person, and must never be stored (or reconnected) as the same account.
TEST(CallbackRules, AMicrosoftAccountIsKeyedOnTenantAndObjectId) {
  const auto& catalog = providers::builtin_catalog();
  const auto& mapping = catalog.at("microsoft").account;
  const auto ours = providers::account_id({{"tid", "tenant-a"}, {"oid", "same-oid"}}, mapping);
  const auto theirs = providers::account_id({{"tid", "tenant-b"}, {"oid", "same-oid"}}, mapping);
  ASSERT_TRUE(ours && theirs);
  EXPECT_EQ(*ours, "tenant-a/same-oid");
  EXPECT_NE(*ours, *theirs);
  EXPECT_FALSE(providers::account_id({{"oid", "same-oid"}}, mapping)) << "no tid: no account";
  const auto& google = catalog.at("google").account;
  EXPECT_EQ(providers::account_id({{"sub", "g-1"}, {"tid", "x"}}, google), "g-1");
}

// An operator may forbid scopes the catalog knows (no Gmail here, say): callers cannot ask for
// them, the defaults are narrowed too, and a configured default outside the list is an error.
TEST(ProviderConfig, AllowedScopesNarrowTheCatalog) {
  const config::Environment google = {
      {"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example"},
      {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_ID", "id"},
      {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_SECRET", "secret"},
      {"OAUTH_MANAGER_PROVIDERS_GOOGLE_ALLOWED_SCOPES", "openid,email"}};
  const auto load = config::load_config(std::nullopt, with_required(google));
  ASSERT_TRUE(load.config) << describe(load);
  const auto& provider = load.config->providers.at(0);
  EXPECT_TRUE(provider.allows_scope("email"));
  EXPECT_FALSE(provider.allows_scope("https://www.googleapis.com/auth/gmail.readonly"));
  EXPECT_FALSE(provider.allows_scope("profile")) << "a catalog default, but not allowed here";
  EXPECT_EQ(provider.requested_by_default, (std::vector<std::string>{"openid", "email"}));

  auto outside = google;
  outside["OAUTH_MANAGER_PROVIDERS_GOOGLE_SCOPES"] = "openid,profile";
  const auto refused = config::load_config(std::nullopt, with_required(outside));
  ASSERT_FALSE(refused.config);
  EXPECT_NE(describe(refused).find("providers.google.scopes: profile not in allowed_scopes"),
            std::string::npos)
      << describe(refused);
}

}  // namespace
}  // namespace oauth_manager
