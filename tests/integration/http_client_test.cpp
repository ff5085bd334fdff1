// The outbound HTTP client against a real TLS server on 127.0.0.1: certificate and host name
// verification, and tunnelling through an HTTPS_PROXY-style CONNECT proxy.
#include <gtest/gtest.h>

#include "net/http_client.hpp"
#include "support/in_process_server.hpp"
#include "support/tls_test_server.hpp"

namespace oauth_manager {
namespace {

class HttpClientTest : public ::testing::Test {
 protected:
  core::Result<net::HttpResponse> get(const std::string& url, net::ClientOptions options) {
    net::HttpClient client(std::move(options));
    net::HttpRequest request;
    request.url = url;
    return testing::run_on(io_.io(), client.send(request));
  }

  net::ClientOptions trusting() const {
    net::ClientOptions options;
    options.ca_file = tls_.ca_file();
    options.connect_timeout = std::chrono::milliseconds(2000);
    options.total_timeout = std::chrono::milliseconds(4000);
    return options;
  }

  std::string url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(tls_.port()) + "/jwks";
  }

  testing::TlsTestServer tls_;
  http::Router no_routes_;
  testing::InProcessServer io_{no_routes_};  // only for its I/O threads
};

TEST_F(HttpClientTest, TalksTlsToAServerItTrusts) {
  const auto response = get(url("localhost"), trusting());
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"tls":true})");
}

TEST_F(HttpClientTest, RefusesAnUntrustedCertificate) {
  const auto response = get(url("localhost"), net::ClientOptions{});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, core::Code::unavailable);
  EXPECT_NE(response.error().message.find("TLS handshake"), std::string::npos);
}

TEST_F(HttpClientTest, RefusesACertificateForAnotherName) {
  // Trusted, but issued to "localhost", not "127.0.0.1".
  const auto response = get(url("127.0.0.1"), trusting());
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("TLS handshake"), std::string::npos);
}

TEST_F(HttpClientTest, RefusesPlainHttpUnlessToLoopbackWithTheOptIn) {
  auto refused = get("http://127.0.0.1:" + std::to_string(io_.port()) + "/", net::ClientOptions{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::Code::invalid_request);
  net::ClientOptions insecure;
  insecure.allow_insecure_loopback = true;
  EXPECT_FALSE(get("http://example.com/", insecure));
  const auto allowed = get("http://127.0.0.1:" + std::to_string(io_.port()) + "/", insecure);
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(allowed->status, 404);
}

TEST_F(HttpClientTest, HttpsGoesThroughTheProxyWithItsCredentials) {
  testing::ConnectProxy proxy;
  auto options = trusting();
  auto settings =
      net::parse_proxy_url("http://svc%40corp:p%3Ass@127.0.0.1:" + std::to_string(proxy.port()));
  ASSERT_TRUE(settings) << settings.error().message;
  options.proxy = *settings;
  const auto response = get(url("localhost"), options);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, R"({"tls":true})");
  EXPECT_EQ(proxy.tunnels(), 1);
  const auto head = proxy.last_request_head();
  EXPECT_EQ(head.rfind("CONNECT localhost:" + std::to_string(tls_.port()) + " HTTP/1.1", 0), 0U)
      << head;
  // "svc@corp:p:ss", base64.
  EXPECT_NE(head.find("Proxy-Authorization: Basic c3ZjQGNvcnA6cDpzcw=="), std::string::npos)
      << head;
}

TEST_F(HttpClientTest, NoProxyHostsAreReachedDirectly) {
  testing::ConnectProxy proxy;
  auto options = trusting();
  options.proxy = *net::parse_proxy_url("127.0.0.1:" + std::to_string(proxy.port()));
  options.proxy->no_proxy = {".example.org", "localhost"};
  ASSERT_TRUE(get(url("localhost"), options));
  EXPECT_EQ(proxy.tunnels(), 0);
  EXPECT_TRUE(options.proxy->bypasses("api.example.org"));
  EXPECT_FALSE(options.proxy->bypasses("example.org.evil"));
  EXPECT_FALSE(options.proxy->bypasses("notexample.org"));
}

TEST(ProxyUrl, RefusesWhatItCannotUse) {
  EXPECT_FALSE(net::parse_proxy_url("https://proxy:3128"));
  EXPECT_FALSE(net::parse_proxy_url("socks5://proxy:1080"));
  EXPECT_FALSE(net::parse_proxy_url("http://"));
  const auto plain = net::parse_proxy_url("http://proxy.corp:3128/");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "proxy.corp");
  EXPECT_EQ(plain->port, 3128);
  EXPECT_FALSE(plain->authorization);
  EXPECT_EQ(net::parse_proxy_url("http://proxy.corp")->port, 80);
}

}  // namespace
}  // namespace oauth_manager
