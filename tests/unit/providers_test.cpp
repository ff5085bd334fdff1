#include <gtest/gtest.h>

#include "config/config.hpp"
#include "crypto/keyring.hpp"
#include "crypto/openssl_random.hpp"
#include "manager/return_urls.hpp"
#include "manager/token_vault.hpp"
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

TEST(Keyring, SealsWithThePrimaryAndOpensWithAnyLoadedKey) {
  crypto::OpenSslRandom random;
  const auto old_key = *crypto::parse_data_key("old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  const auto new_key = *crypto::parse_data_key("new:HxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwIBAB8eHR0=");
  const crypto::Keyring before({old_key}, random);
  const auto sealed = before.encrypt("ya29.secret", "integration-1/access_token");
  EXPECT_EQ(sealed.find("ya29.secret"), std::string::npos);
  EXPECT_NE(sealed, before.encrypt("ya29.secret", "integration-1/access_token"));  // fresh nonce
  const crypto::Keyring after({new_key, old_key}, random);
  EXPECT_EQ(after.decrypt(sealed, "integration-1/access_token").value(), "ya29.secret");
  EXPECT_EQ(crypto::Keyring::key_id_of(after.encrypt("x", "a")).value(), "new");
}

TEST(Keyring, RefusesWrongPlacesTamperingAndUnknownKeys) {
  crypto::OpenSslRandom random;
  const crypto::Keyring keyring({*crypto::parse_data_key(kKey)}, random);
  auto sealed = keyring.encrypt("refresh-secret", "integration-1/refresh_token");
  EXPECT_FALSE(keyring.decrypt(sealed, "integration-2/refresh_token"));
  EXPECT_FALSE(keyring.decrypt(sealed, "integration-1/access_token"));
  auto tampered = sealed;
  tampered[tampered.size() - 20] ^= 0x01;
  EXPECT_FALSE(keyring.decrypt(tampered, "integration-1/refresh_token"));
  EXPECT_FALSE(keyring.decrypt(sealed.substr(0, 10), "integration-1/refresh_token"));
  const crypto::Keyring other(
      {*crypto::parse_data_key("k9:HxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwIBAB8eHR0=")}, random);
  const auto unknown = other.decrypt(sealed, "integration-1/refresh_token");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("\"k1\" that sealed this value is not loaded"),
            std::string::npos);
}

TEST(TokenVault, ACiphertextMovedToAnotherIntegrationDoesNotOpen) {
  crypto::OpenSslRandom random;
  const crypto::Keyring keyring({*crypto::parse_data_key(kKey)}, random);
  const manager::TokenVault vault(keyring);
  auto record = vault.seal("integration-1", {"access", std::string("refresh"), "Bearer", {}},
                           core::from_unix_ms(0));
  EXPECT_EQ(vault.open(record)->refresh_token, "refresh");
  record.integration_id = "integration-2";
  EXPECT_FALSE(vault.open(record));
}

TEST(ReturnUrls, OnlyTheSameOriginAndPathPrefixPass) {
  const std::vector<std::string> allowed = {"https://app.example.com/settings",
                                            "http://127.0.0.1:3000/"};
  EXPECT_TRUE(manager::return_url_allowed("https://app.example.com/settings", allowed));
  EXPECT_TRUE(manager::return_url_allowed("https://APP.example.com/settings/x?y=1", allowed));
  EXPECT_TRUE(manager::return_url_allowed("http://127.0.0.1:3000/anything", allowed));
  for (const auto* bad : {"https://app.example.com/settingsx", "https://app.example.com/",
                          "http://app.example.com/settings", "https://app.example.com:444/settings",
                          "https://app.example.com.evil/settings", "https://evil.example/settings",
                          "https://user@app.example.com/settings", "/settings",
                          "https://app.example.com\\evil/settings", "http://127.0.0.1:3001/"}) {
    EXPECT_FALSE(manager::return_url_allowed(bad, allowed)) << bad;
  }
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

}  // namespace
}  // namespace oauth_manager
