// JwksKeySource against a JWKS document served over real HTTP on 127.0.0.1: caching by
// Cache-Control, refetch on an unknown kid (key rotation), and the refetch rate limit.
#include <gtest/gtest.h>

#include <mutex>

#include "crypto/jwt.hpp"
#include "net/jwks_key_source.hpp"
#include "support/in_process_server.hpp"
#include "support/manual_clock.hpp"
#include "support/signing_keys.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;
using testing::SigningKey;

class JwksKeySourceTest : public ::testing::Test {
 protected:
  JwksKeySourceTest() {
    router_.add("GET", "/jwks", [this](http::Request&) -> boost::asio::awaitable<http::Response> {
      std::lock_guard lock(mutex_);
      ++requests_;
      auto response = http::json_response(status_, document_);
      if (!cache_control_.empty()) response.headers.emplace_back("Cache-Control", cache_control_);
      co_return response;
    });
    server_ = std::make_unique<testing::InProcessServer>(router_);
    net::ClientOptions options;
    options.allow_insecure_loopback = true;
    client_ = std::make_unique<net::HttpClient>(options);
    source_ = std::make_unique<net::JwksKeySource>(server_->url("/jwks"), *client_, clock_);
  }

  void serve(const std::vector<SigningKey>& keys, std::string cache_control = "",
             int status = 200) {
    std::vector<nlohmann::json> jwks;
    for (const auto& key : keys) jwks.push_back(key.public_jwk());
    std::lock_guard lock(mutex_);
    document_ = testing::jwks_document(jwks);
    cache_control_ = std::move(cache_control);
    status_ = status;
  }

  int requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  // Whether a token signed by `key` finds its verification key.
  bool verifies(const SigningKey& key) {
    const auto token = key.sign({{"sub", "u"}, {"exp", clock_.unix_seconds() + 60}});
    auto decoded = crypto::decode_jwt(token);
    EXPECT_TRUE(decoded);
    auto keys = testing::run_on(server_->io(), source_->keys_for(decoded->key_id));
    if (!keys) return false;
    return crypto::verify_jwt(*decoded, *keys, {}, clock_.now()).ok();
  }

  testing::ManualClock clock_;
  http::Router router_;
  std::mutex mutex_;
  std::string document_ = R"({"keys":[]})";
  std::string cache_control_;
  int status_ = 200;
  int requests_ = 0;
  std::unique_ptr<testing::InProcessServer> server_;
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<net::JwksKeySource> source_;
};

TEST_F(JwksKeySourceTest, FetchesOnceAndServesFromCache) {
  const auto k1 = SigningKey::rsa("k1");
  serve({k1}, "public, max-age=600");
  EXPECT_TRUE(verifies(k1));
  EXPECT_TRUE(verifies(k1));
  clock_.advance(599s);
  EXPECT_TRUE(verifies(k1));
  EXPECT_EQ(requests(), 1);
  clock_.advance(2s);  // past max-age
  EXPECT_TRUE(verifies(k1));
  EXPECT_EQ(requests(), 2);
}

TEST_F(JwksKeySourceTest, RotationANewKidIsAcceptedAfterARefetch) {
  const auto k1 = SigningKey::rsa("k1");
  const auto k2 = SigningKey::ec_p256("k2");
  serve({k1}, "max-age=3600");
  EXPECT_TRUE(verifies(k1));
  serve({k1, k2}, "max-age=3600");  // the application rotates in k2
  clock_.advance(61s);              // the refetch spacing since the first fetch has passed
  EXPECT_TRUE(verifies(k2));
  EXPECT_EQ(requests(), 2);
  EXPECT_TRUE(verifies(k1));  // the old key still works from the same document
  EXPECT_EQ(requests(), 2);
}

TEST_F(JwksKeySourceTest, UnknownKidsRefetchAtMostOncePerMinute) {
  const auto k1 = SigningKey::rsa("k1");
  serve({k1}, "max-age=3600");
  EXPECT_TRUE(verifies(k1));
  clock_.advance(61s);
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(verifies(SigningKey::ec_p256("forged-" + std::to_string(i))));
  EXPECT_EQ(requests(), 2);  // one refetch for five unknown kids
  clock_.advance(30s);
  EXPECT_FALSE(verifies(SigningKey::ec_p256("forged-again")));
  EXPECT_EQ(requests(), 2);
  clock_.advance(31s);
  EXPECT_FALSE(verifies(SigningKey::ec_p256("forged-later")));
  EXPECT_EQ(requests(), 3);
}

TEST_F(JwksKeySourceTest, AFailedRefetchKeepsTheKeysWeHave) {
  const auto k1 = SigningKey::rsa("k1");
  serve({k1}, "max-age=60");
  EXPECT_TRUE(verifies(k1));
  serve({}, "", 500);
  clock_.advance(120s);  // expired: refetch, which fails
  EXPECT_TRUE(verifies(k1));
  EXPECT_EQ(requests(), 2);
}

TEST_F(JwksKeySourceTest, NoKeysAtAllIsUnavailableNotUnauthenticated) {
  serve({}, "", 503);
  auto keys = testing::run_on(server_->io(), source_->keys_for(std::string("k1")));
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, core::Code::unavailable);
}

}  // namespace
}  // namespace oauth_manager
