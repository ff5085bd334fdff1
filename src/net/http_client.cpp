#include "net/http_client.hpp"

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>

#include "core/text.hpp"
#include "crypto/encoding.hpp"
#include "net/url.hpp"

namespace oauth_manager::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint32_t kMaxResponseHeaderBytes = 64 << 10;

core::Error unreachable(const Url& url, std::string_view step, const beast::error_code& ec) {
  // The host only: a URL's query may carry parameters that are nobody's business in a log.
  return core::make_error(core::Code::unavailable,
                          fmt::format("{} {}:{} failed: {}", step, url.host, url.port,
                                      ec == beast::error::timeout ? "timed out" : ec.message()));
}

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

template <typename Stream>
asio::awaitable<core::Result<HttpResponse>> exchange(Stream& stream, const HttpRequest& request,
                                                     const Url& url, Clock::time_point deadline,
                                                     std::size_t max_bytes) {
  auto& lowest = beast::get_lowest_layer(stream);
  bhttp::request<bhttp::string_body> message{bhttp::string_to_verb(request.method), url.target, 11};
  if (message.method() == bhttp::verb::unknown) message.method_string(request.method);
  message.set(bhttp::field::host, url.host_header());
  message.set(bhttp::field::user_agent, "oauth-manager/" OAUTH_MANAGER_VERSION);
  message.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = request.body;
  message.prepare_payload();

  beast::error_code ec;
  lowest.expires_after(remaining(deadline));
  co_await bhttp::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unreachable(url, "sending to", ec);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxResponseHeaderBytes);
  parser.body_limit(max_bytes);
  lowest.expires_after(remaining(deadline));
  co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == bhttp::error::body_limit) {
    co_return core::make_error(
        core::Code::unavailable,
        fmt::format("the response from {} is larger than {} bytes", url.host, max_bytes));
  }
  if (ec) co_return unreachable(url, "reading from", ec);

  HttpResponse response;
  const auto& reply = parser.get();
  response.status = static_cast<int>(reply.result_int());
  for (const auto& field : reply) {
    response.headers.emplace_back(core::ascii_lowercase(field.name_string()),
                                  std::string(field.value()));
  }
  response.body = reply.body();
  co_return response;
}

// Opens a tunnel to `url` through the proxy the stream is connected to (RFC 9110 §9.3.6).
asio::awaitable<core::Status> open_tunnel(beast::tcp_stream& stream, const ProxySettings& proxy,
                                          const Url& url, Clock::time_point deadline) {
  const auto authority = url.host.find(':') != std::string::npos
                             ? fmt::format("[{}]:{}", url.host, url.port)
                             : fmt::format("{}:{}", url.host, url.port);
  bhttp::request<bhttp::empty_body> connect{bhttp::verb::connect, authority, 11};
  connect.set(bhttp::field::host, authority);
  if (proxy.authorization) connect.set(bhttp::field::proxy_authorization, *proxy.authorization);
  beast::error_code ec;
  stream.expires_after(remaining(deadline));
  co_await bhttp::async_write(stream, connect, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unreachable(url, "asking the proxy for a tunnel to", ec);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);  // a 2xx answer to CONNECT has no body: the tunnel starts right after it
  parser.header_limit(kMaxResponseHeaderBytes);
  co_await bhttp::async_read_header(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unreachable(url, "opening a proxy tunnel to", ec);
  if (parser.get().result_int() / 100 != 2) {
    co_return core::make_error(core::Code::unavailable,
                               fmt::format("the proxy refused a tunnel to {}:{} (HTTP {})",
                                           url.host, url.port, parser.get().result_int()));
  }
  co_return core::Status{};
}

}  // namespace

bool ProxySettings::bypasses(std::string_view host) const {
  const auto name = core::ascii_lowercase(host);
  for (auto entry : no_proxy) {
    entry = core::ascii_lowercase(entry);
    if (entry == "*") return true;
    if (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
    if (entry.empty()) continue;
    if (name == entry || (name.size() > entry.size() &&
                          name.compare(name.size() - entry.size(), entry.size(), entry) == 0 &&
                          name[name.size() - entry.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

core::Result<ProxySettings> parse_proxy_url(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  std::string rest(text);
  if (rest.rfind(kScheme, 0) == 0) {
    rest.erase(0, kScheme.size());
  } else if (rest.find("://") != std::string::npos) {
    return core::make_error(core::Code::invalid_request,
                            "the proxy URL must be http://[user:password@]host[:port]");
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  ProxySettings proxy;
  if (const auto at = rest.rfind('@'); at != std::string::npos) {
    // Credentials travel base64'd in Proxy-Authorization (RFC 9110 §11.7.1), decoded first.
    const auto userinfo = core::percent_decode(rest.substr(0, at));
    if (!userinfo) {
      return core::make_error(core::Code::invalid_request,
                              "the proxy URL's credentials are malformed");
    }
    proxy.authorization = "Basic " + crypto::base64_encode(*userinfo);
    rest.erase(0, at + 1);
  }
  auto url = parse_url("http://" + rest + "/");
  if (!url || rest.empty()) {
    return core::make_error(core::Code::invalid_request,
                            "the proxy URL must be http://[user:password@]host[:port]");
  }
  proxy.host = url->host;
  proxy.port = rest.find(':') == std::string::npos ? 80 : url->port;
  return proxy;
}

std::optional<std::string> HttpResponse::header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return std::nullopt;
}

HttpClient::HttpClient(ClientOptions options)
    : options_(std::move(options)),
      tls_(std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client)) {
  tls_->set_default_verify_paths();
  if (options_.ca_file) tls_->load_verify_file(*options_.ca_file);
  tls_->set_verify_mode(asio::ssl::verify_peer);
  SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
}

HttpClient::~HttpClient() = default;

asio::awaitable<core::Result<HttpResponse>> HttpClient::send(HttpRequest request) {
  auto url = parse_url(request.url);
  if (!url) co_return url.error();
  if (!url->https() && !(options_.allow_insecure_loopback && url->loopback_host())) {
    co_return core::make_error(core::Code::invalid_request,
                               fmt::format("refusing plain http to {}: use https (plain http only "
                                           "reaches loopback addresses, and only when "
                                           "allow_insecure_loopback is set)",
                                           url->host));
  }
  const auto deadline = Clock::now() + options_.total_timeout;
  const auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;
  tcp::resolver resolver(executor);
  const auto connect_limit = std::min(options_.connect_timeout, remaining(deadline));
  // Through a proxy, the proxy resolves the target; we resolve only the proxy.
  const bool proxied = url->https() && options_.proxy && !options_.proxy->bypasses(url->host);
  const auto& dial_host = proxied ? options_.proxy->host : url->host;
  const auto dial_port = proxied ? options_.proxy->port : url->port;
  auto resolved = co_await resolver.async_resolve(dial_host, std::to_string(dial_port),
                                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unreachable(*url, proxied ? "resolving the proxy for" : "resolving", ec);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : resolved) {
    // Plain http may only ever leave the machine's loopback interface.
    if (url->https() || entry.endpoint().address().is_loopback())
      endpoints.push_back(entry.endpoint());
  }
  if (endpoints.empty()) {
    co_return core::make_error(core::Code::invalid_request,
                               fmt::format("{} does not resolve to a loopback address", url->host));
  }

  if (!url->https()) {
    beast::tcp_stream stream(executor);
    stream.expires_after(connect_limit);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unreachable(*url, "connecting to", ec);
    auto response = co_await exchange(stream, request, *url, deadline, options_.max_response_bytes);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return response;
  }

  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls_);
  // SNI, and the name the certificate must carry (RFC 6125 host name verification).
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str())) {
    co_return core::make_error(core::Code::internal, "setting TLS server name failed");
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(url->host));
  beast::get_lowest_layer(stream).expires_after(connect_limit);
  co_await beast::get_lowest_layer(stream).async_connect(
      endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec)
    co_return unreachable(*url, proxied ? "connecting to the proxy for" : "connecting to", ec);
  if (proxied) {
    auto tunnel =
        co_await open_tunnel(beast::get_lowest_layer(stream), *options_.proxy, *url, deadline);
    if (!tunnel) co_return tunnel.error();
  }
  beast::get_lowest_layer(stream).expires_after(remaining(deadline));
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unreachable(*url, "TLS handshake with", ec);
  auto response = co_await exchange(stream, request, *url, deadline, options_.max_response_bytes);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  co_return response;
}

}  // namespace oauth_manager::net
