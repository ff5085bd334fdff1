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
  // Keep-alive: at most this many connections per origin (scheme, host, port), in use and idle
  // together; further requests wait in line, within total_timeout. 10,000 users finishing a
  // connect at once then share 1,024 connections to the token endpoint instead of opening
  // 10,000 (and a provider's listen queue overflowing). An idle connection is closed after
  // idle_timeout, well before a NAT or firewall forgets it silently.
  std::size_t max_connections_per_origin = 1024;
  std::chrono::milliseconds idle_timeout{30000};
};

// An asynchronous HTTP/1.1 client: keep-alive connections pooled per origin (see ConnectionPool),
// TLS certificate and host name verification always on, connect and total timeouts, a response
// size limit, no redirects followed (a redirect is returned as it is). Failures to reach the
// server are `unavailable`; any HTTP status is a successful exchange. Requests run on strands or
// single-threaded contexts, like everything here.
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
  std::uint64_t id_;  // pooled connections are this client's own: its CA file, its proxy
};

}  // namespace oauth_manager::net
