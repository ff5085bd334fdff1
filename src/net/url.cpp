#include "net/url.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/text.hpp"

namespace oauth_manager::net {
namespace {

core::Error bad_url(std::string_view why) {
  return core::make_error(core::Code::invalid_request, fmt::format("invalid URL: {}", why));
}

}  // namespace

bool Url::loopback_host() const {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool Url::same_origin(const Url& other) const {
  return scheme == other.scheme &&
         core::ascii_lowercase(host) == core::ascii_lowercase(other.host) && port == other.port;
}

std::string Url::host_header() const {
  const bool default_port = (https() && port == 443) || (!https() && port == 80);
  const auto shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? shown : fmt::format("{}:{}", shown, port);
}

core::Result<Url> parse_url(std::string_view text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return bad_url("it has no scheme");
  url.scheme = core::ascii_lowercase(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") return bad_url("only http and https work");
  auto rest = text.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, authority_end);
  auto target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos)
    return bad_url("credentials in URLs are refused");
  if (const auto fragment = target.find('#'); fragment != std::string_view::npos) {
    target = target.substr(0, fragment);
  }
  url.target =
      target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad_url("unclosed IPv6 bracket");
    url.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url("junk after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = core::ascii_lowercase(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return bad_url("it has no host");
  url.port = url.https() ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return bad_url("the port is not a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0x0F];
    }
  }
  return encoded;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += percent_encode(name);
    body += '=';
    body += percent_encode(value);
  }
  return body;
}

std::string with_query(std::string url,
                       const std::vector<std::pair<std::string, std::string>>& fields) {
  if (fields.empty()) return url;
  const auto fragment = url.find('#');
  std::string tail;
  if (fragment != std::string::npos) {
    tail = url.substr(fragment);
    url.resize(fragment);
  }
  const char separator = url.find('?') == std::string::npos ? '?' : '&';
  return url + separator + form_encode(fields) + tail;
}

}  // namespace oauth_manager::net
