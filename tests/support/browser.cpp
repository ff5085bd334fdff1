#include "support/browser.hpp"

#include <sstream>
#include <stdexcept>

#include "core/text.hpp"
#include "net/url.hpp"
#include "support/raw_http.hpp"

namespace oauth_manager::testing {
namespace {

struct ParsedResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;
};

ParsedResponse parse_response(const std::string& raw) {
  ParsedResponse parsed;
  parsed.status = status_of(raw);
  parsed.body = body_of(raw);
  const auto head_end = raw.find("\r\n\r\n");
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);  // status line
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    parsed.headers.emplace_back(core::ascii_lowercase(line.substr(0, colon)), value);
  }
  return parsed;
}

// The absolute URL a Location header means, relative to `base`.
std::string resolve(const net::Url& base, const std::string& location) {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
  return base.scheme + "://" + base.host_header() + location;
}

}  // namespace

Browser::Page Browser::visit(const std::string& url) {
  const auto parsed = net::parse_url(url);
  if (!parsed || parsed->https() || !parsed->loopback_host()) {
    throw std::runtime_error("the test browser only visits http://127.0.0.1: " + url);
  }
  history_.push_back(url);
  std::string request = "GET " + parsed->target + " HTTP/1.1\r\nHost: " + parsed->host_header() +
                        "\r\nConnection: close\r\nUser-Agent: oauth-manager-test-browser\r\n";
  auto& jar = cookies_[parsed->port];
  if (!jar.empty()) {
    std::string cookie;
    for (const auto& [name, value] : jar)
      cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
    request += "Cookie: " + cookie + "\r\n";
  }
  const auto response = parse_response(http_exchange(parsed->port, request + "\r\n"));
  Page page{response.status, url, std::nullopt, response.body};
  for (const auto& [name, value] : response.headers) {
    if (name == "set-cookie") {
      const auto pair = value.substr(0, value.find(';'));
      const auto equals = pair.find('=');
      if (equals == std::string::npos) continue;
      // Max-Age=0 deletes the cookie (RFC 6265 §5.2.2).
      if (value.find("Max-Age=0") != std::string::npos) {
        jar.erase(pair.substr(0, equals));
      } else {
        jar[pair.substr(0, equals)] = pair.substr(equals + 1);
      }
    } else if (name == "location") {
      page.location = resolve(*parsed, value);
    }
  }
  if (page.status < 300 || page.status >= 400) page.location.reset();
  return page;
}

Browser::Page Browser::open(const std::string& start, const std::string& stop_before,
                            int max_redirects) {
  auto url = start;
  for (int hop = 0; hop <= max_redirects; ++hop) {
    auto page = visit(url);
    if (!page.location) return page;
    const auto next = net::parse_url(*page.location);
    const bool stop = !stop_before.empty() && page.location->rfind(stop_before, 0) == 0;
    if (!next || next->https() || !next->loopback_host() || stop) return page;
    url = *page.location;
  }
  throw std::runtime_error("too many redirects from " + start);
}

std::size_t Browser::cookie_count(std::uint16_t port) const {
  const auto jar = cookies_.find(port);
  return jar == cookies_.end() ? 0 : jar->second.size();
}

}  // namespace oauth_manager::testing
