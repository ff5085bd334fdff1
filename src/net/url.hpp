#pragma once

#include <utility>
#include <vector>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace oauth_manager::net {

// An absolute http(s) URL split for a request. No userinfo: credentials never travel in URLs.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"

  bool https() const { return scheme == "https"; }
  // The path part of `target`, without query or fragment.
  std::string path() const { return target.substr(0, target.find_first_of("?#")); }
  // Same scheme, host (case-insensitive) and port: the same origin (RFC 6454).
  bool same_origin(const Url& other) const;
  // Host names the loopback interface literally: 127.0.0.0/8, ::1 or "localhost".
  bool loopback_host() const;
  std::string host_header() const;
};

core::Result<Url> parse_url(std::string_view text);

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string percent_encode(std::string_view text);
// application/x-www-form-urlencoded: "a=1&b=x%20y".
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);
// Appends `fields` as query parameters, after any the URL already has.
std::string with_query(std::string url,
                       const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace oauth_manager::net
