#include "net/http_client.hpp"

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <optional>

#include "core/text.hpp"
#include "crypto/encoding.hpp"
#include "net/connection_pool.hpp"
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

constexpr int kMaxInterimResponses = 8;

// What one request on a connection came to.
struct Exchanged {
  core::Result<HttpResponse> response = core::make_error(core::Code::internal, "not sent");
  bool reusable = false;    // answered in full, and the server keeps the connection open
  bool unsent = false;      // the request could not be written: the connection was dead
  bool unanswered = false;  // written, but not a byte came back before the connection ended
};

// Methods that may be sent again when their answer was lost (RFC 9110 §9.2.2). A POST may
// have been processed already: a token exchange sent twice spends its code or refresh token.
bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE";
}

template <typename Stream>
asio::awaitable<Exchanged> exchange(Stream& stream, const HttpRequest& request, const Url& url,
                                    Clock::time_point deadline, std::size_t max_bytes) {
  auto& lowest = beast::get_lowest_layer(stream);
  bhttp::request<bhttp::string_body> message{bhttp::string_to_verb(request.method), url.target, 11};
  if (message.method() == bhttp::verb::unknown) message.method_string(request.method);
  message.set(bhttp::field::host, url.host_header());
  message.set(bhttp::field::user_agent, "oauth-manager/" OAUTH_MANAGER_VERSION);
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = request.body;
  message.prepare_payload();

  beast::error_code ec;
  lowest.expires_after(remaining(deadline));
  co_await bhttp::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    Exchanged failed{unreachable(url, "sending to", ec)};
    failed.unsent = ec != beast::error::timeout;
    co_return failed;
  }

  beast::flat_buffer buffer;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  for (int interim = 0;; ++interim) {
    parser.emplace();
    parser->header_limit(kMaxResponseHeaderBytes);
    parser->body_limit(max_bytes);
    parser->skip(message.method() == bhttp::verb::head);  // the answer to HEAD has no body
    lowest.expires_after(remaining(deadline));
    co_await bhttp::async_read(stream, buffer, *parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::body_limit) {
      co_return Exchanged{core::make_error(
          core::Code::unavailable,
          fmt::format("the response from {} is larger than {} bytes", url.host, max_bytes))};
    }
    if (ec) {
      Exchanged failed{unreachable(url, "reading from", ec)};
      failed.unanswered = interim == 0 && !parser->got_some() && ec != beast::error::timeout;
      co_return failed;
    }
    // 100 Continue and 103 Early Hints come before the answer (RFC 9110 §15.2): read on, or
    // the answer would be left on the connection for whoever uses it next.
    const auto status = parser->get().result_int();
    if (status / 100 != 1 || status == 101 || interim == kMaxInterimResponses) break;
  }

  HttpResponse response;
  const auto& reply = parser->get();
  response.status = static_cast<int>(reply.result_int());
  for (const auto& field : reply) {
    response.headers.emplace_back(core::ascii_lowercase(field.name_string()),
                                  std::string(field.value()));
  }
  response.body = reply.body();
  // Bytes after the answer would belong to no request, an answer that ended with the
  // connection left none, and an interim one is not an answer: such a connection is not reused.
  const bool reusable =
      reply.keep_alive() && !parser->need_eof() && buffer.size() == 0 && response.status / 100 != 1;
  co_return Exchanged{std::move(response), reusable};
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

namespace {

std::atomic<std::uint64_t> next_client_id{1};

}  // namespace

HttpClient::HttpClient(ClientOptions options)
    : options_(std::move(options)),
      tls_(std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client)),
      id_(next_client_id.fetch_add(1)) {
  tls_->set_default_verify_paths();
  if (options_.ca_file) tls_->load_verify_file(*options_.ca_file);
  tls_->set_verify_mode(asio::ssl::verify_peer);
  SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
}

HttpClient::~HttpClient() = default;

namespace {

bool proxied(const ClientOptions& options, const Url& url) {
  // Through a proxy, the proxy resolves the target; we resolve only the proxy.
  return url.https() && options.proxy && !options.proxy->bypasses(url.host);
}

asio::awaitable<core::Result<std::vector<tcp::endpoint>>> resolve(const ClientOptions& options,
                                                                  const Url& url,
                                                                  Clock::time_point deadline) {
  const auto executor = co_await asio::this_coro::executor;
  const bool via_proxy = proxied(options, url);
  const auto& dial_host = via_proxy ? options.proxy->host : url.host;
  const auto dial_port = std::to_string(via_proxy ? options.proxy->port : url.port);
  // The resolver is cancelled at the deadline: a hanging DNS server must not hold a place in
  // the connection pool past the request's timeout.
  auto resolver = std::make_shared<tcp::resolver>(executor);
  asio::steady_timer limit(executor, deadline);
  limit.async_wait([resolver](const beast::error_code& expired) {
    if (!expired) resolver->cancel();
  });
  beast::error_code ec;
  auto resolved = co_await resolver->async_resolve(dial_host, dial_port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  limit.cancel();
  if (ec == asio::error::operation_aborted) ec = beast::error::timeout;
  if (ec) co_return unreachable(url, via_proxy ? "resolving the proxy for" : "resolving", ec);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : resolved) {
    // Plain http may only ever leave the machine's loopback interface.
    if (url.https() || entry.endpoint().address().is_loopback())
      endpoints.push_back(entry.endpoint());
  }
  if (endpoints.empty()) {
    co_return core::make_error(core::Code::invalid_request,
                               fmt::format("{} does not resolve to a loopback address", url.host));
  }
  co_return endpoints;
}

// A new connection to `url`'s origin: resolved, connected, tunnelled, TLS handshake done.
asio::awaitable<core::Result<std::unique_ptr<Connection>>> open_connection(
    const ClientOptions& options, asio::ssl::context& tls, const Url& url,
    Clock::time_point deadline) {
  auto endpoints = co_await resolve(options, url, deadline);
  if (!endpoints) co_return endpoints.error();
  const auto executor = co_await asio::this_coro::executor;
  const auto connect_limit = std::min(options.connect_timeout, remaining(deadline));
  auto connection = std::make_unique<Connection>();
  beast::error_code ec;
  if (!url.https()) {
    connection->plain = std::make_unique<beast::tcp_stream>(executor);
    connection->plain->expires_after(connect_limit);
    co_await connection->plain->async_connect(*endpoints,
                                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unreachable(url, "connecting to", ec);
    co_return connection;
  }

  const bool via_proxy = proxied(options, url);
  connection->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, tls);
  auto& stream = *connection->tls;
  // SNI, and the name the certificate must carry (RFC 6125 host name verification).
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    co_return core::make_error(core::Code::internal, "setting TLS server name failed");
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_after(connect_limit);
  co_await beast::get_lowest_layer(stream).async_connect(
      *endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return unreachable(url, via_proxy ? "connecting to the proxy for" : "connecting to", ec);
  }
  if (via_proxy) {
    auto tunnel =
        co_await open_tunnel(beast::get_lowest_layer(stream), *options.proxy, url, deadline);
    if (!tunnel) co_return tunnel.error();
  }
  beast::get_lowest_layer(stream).expires_after(remaining(deadline));
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unreachable(url, "TLS handshake with", ec);
  co_return connection;
}

}  // namespace

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
  // Time left for the exchange after waiting in line for a connection: a request sent with only
  // milliseconds left would time out after the provider acted on it (a refresh token rotated,
  // then lost). Three seconds (half the timeout when that is shorter) is ten times a token
  // endpoint's usual answer.
  const auto kept_for_exchange =
      std::min<Clock::duration>(options_.total_timeout / 2, std::chrono::seconds(3));
  const auto waited_enough = deadline - kept_for_exchange;
  const auto executor = co_await asio::this_coro::executor;
  const auto origin = fmt::format("{}/{}://{}:{}{}", id_, url->scheme, url->host, url->port,
                                  proxied(options_, *url) ? " (proxied)" : "");
  const PoolLimits limits{options_.max_connections_per_origin, options_.idle_timeout};
  auto lease = co_await ConnectionPool::of(executor).acquire(origin, limits, waited_enough);
  if (!lease) co_return lease.error();
  for (;;) {
    auto& connection = lease->connection();
    if (!connection) {
      auto opened = co_await open_connection(options_, *tls_, *url, deadline);
      if (!opened) co_return opened.error();
      connection = std::move(*opened);
    }
    Exchanged exchanged;
    if (connection->tls) {
      exchanged =
          co_await exchange(*connection->tls, request, *url, deadline, options_.max_response_bytes);
    } else {
      exchanged = co_await exchange(*connection->plain, request, *url, deadline,
                                    options_.max_response_bytes);
    }
    // A kept connection the server closed as we sent (its keep-alive timeout): the request goes
    // once more on a new connection when it cannot have been acted on, or may be repeated.
    if (lease->reused() &&
        (exchanged.unsent || (exchanged.unanswered && idempotent(request.method)))) {
      lease->replace_dead();
      continue;
    }
    if (exchanged.reusable && connection->nothing_buffered()) lease->keep();
    co_return std::move(exchanged.response);
  }
}

}  // namespace oauth_manager::net
