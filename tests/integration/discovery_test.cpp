// OIDC discovery against a document served on 127.0.0.1: what we take from it, and what makes us
// refuse it (fail closed) instead of talking to endpoints nobody vouched for.
#include <gtest/gtest.h>

#include <mutex>

#include "net/http_client.hpp"
#include "providers/oauth_client.hpp"
#include "support/in_process_server.hpp"

namespace oauth_manager {
namespace {

class DiscoveryTest : public ::testing::Test {
 protected:
  DiscoveryTest() {
    router_.add("GET", "/.well-known/openid-configuration", [this](http::Request&) {
      return [](std::string body) -> boost::asio::awaitable<http::Response> {
        co_return http::json_response(200, std::move(body));
      }(document().dump());
    });
    server_ = std::make_unique<testing::InProcessServer>(router_);
  }

  std::string issuer() const { return server_->url(""); }

  // A valid document for this server's issuer; tests change one member.
  nlohmann::json valid() const {
    return {{"issuer", issuer()},
            {"authorization_endpoint", issuer() + "/authorize"},
            {"token_endpoint", issuer() + "/token"},
            {"jwks_uri", issuer() + "/jwks"}};
  }

  void serve(nlohmann::json document) {
    std::lock_guard lock(mutex_);
    document_ = std::move(document);
  }

  nlohmann::json document() {
    std::lock_guard lock(mutex_);
    return document_;
  }

  core::Result<providers::ProviderSpec> discover(bool allow_insecure_loopback = true) {
    net::ClientOptions options;
    options.allow_insecure_loopback = true;
    net::HttpClient http(options);
    providers::OAuthClient client(http);
    return testing::run_on(server_->io(),
                           client.discover("corp", issuer(), allow_insecure_loopback));
  }

  std::mutex mutex_;
  nlohmann::json document_;
  http::Router router_;
  std::unique_ptr<testing::InProcessServer> server_;
};

TEST_F(DiscoveryTest, AValidDocumentGivesTheEndpoints) {
  serve(valid());
  const auto spec = discover();
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->token_endpoint, issuer() + "/token");
  EXPECT_EQ(spec->jwks_uri, issuer() + "/jwks");
}

// OpenID Connect Discovery §4.3: a document naming another issuer is a mix-up in the making.
TEST_F(DiscoveryTest, ADocumentOfAnotherIssuerIsRefused) {
  auto document = valid();
  document["issuer"] = "https://accounts.example.com";
  serve(document);
  const auto spec = discover();
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code, core::Code::provider_error);
  EXPECT_NE(spec.error().message.find("issuer differs"), std::string::npos);
}

// Codes, tokens and our client secret must never travel in the clear: a discovered endpoint in
// plain http on another host is refused, as is loopback http without the opt-in.
TEST_F(DiscoveryTest, APlainHttpEndpointIsRefused) {
  for (const std::string member :
       {"token_endpoint", "authorization_endpoint", "jwks_uri", "revocation_endpoint"}) {
    auto document = valid();
    document[member] = "http://idp.example.com/" + member;
    serve(document);
    const auto spec = discover();
    ASSERT_FALSE(spec) << member;
    EXPECT_NE(spec.error().message.find("not https"), std::string::npos) << member;
  }
  serve(valid());
  EXPECT_FALSE(discover(/*allow_insecure_loopback=*/false)) << "loopback http needs the opt-in";
}

}  // namespace
}  // namespace oauth_manager
