#pragma once

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
  // Host names the loopback interface literally: 127.0.0.0/8, ::1 or "localhost".
  bool loopback_host() const;
  std::string host_header() const;
};

core::Result<Url> parse_url(std::string_view text);

}  // namespace oauth_manager::net
