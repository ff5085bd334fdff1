#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace boost::asio::ssl {
class context;
}

namespace oauth_manager::net {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;

  std::optional<std::string> header(std::string_view lowercase_name) const;
};

// An HTTP proxy that https requests tunnel through with CONNECT (HTTPS_PROXY).
struct ProxySettings {
  std::string host;
  std::uint16_t port = 0;
  std::optional<std::string> authorization;  // "Basic ..." from the proxy URL's credentials
  std::vector<std::string> no_proxy;         // host suffixes reached directly ("*": all)

  bool bypasses(std::string_view host) const;
};

// Reads "http://[user:password@]host[:port]" (HTTPS_PROXY's form). https proxies are refused:
// the tunnel is TLS end to end anyway.
core::Result<ProxySettings> parse_proxy_url(std::string_view url);

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{10000};
  std::size_t max_response_bytes = 1 << 20;
  // Plain http is refused except to a loopback address, and then only when this is set (tests,
  // local development).
  bool allow_insecure_loopback = false;
  // Extra CA certificates (PEM) trusted besides the system's, e.g. a test CA.
  std::optional<std::string> ca_file;
  // https requests go through this proxy unless its no_proxy list names the host. Plain http
  // (loopback only) never does.
  std::optional<ProxySettings> proxy;
};

// An asynchronous HTTP/1.1 client: one request per connection, TLS certificate and host name
// verification always on, connect and total timeouts, a response size limit, no redirects
// followed (a redirect is returned as it is). Failures to reach the server are `unavailable`;
// any HTTP status is a successful exchange.
class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  boost::asio::awaitable<core::Result<HttpResponse>> send(HttpRequest request);

 private:
  ClientOptions options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace oauth_manager::net
