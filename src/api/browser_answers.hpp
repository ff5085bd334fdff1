#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"
#include "manager/browser_binding.hpp"

// What the browser-facing endpoints (/v1/oauth/start, /v1/oauth/callback) answer besides JSON:
// small HTML pages, cookies, and headers that keep codes and states out of caches and Referers.
namespace oauth_manager::api {

// A failure for a browser: an HTML page saying what happened (title, what to do, the code and
// the request id to quote) when the request accepts text/html, else the problem+json.
http::Response browser_problem(const core::Error& error, const http::Request& request);

// The cookies a request carries (every Cookie header), by name; the first of a repeated name.
std::map<std::string, std::string> request_cookies(const http::Request& request);

// The Set-Cookie value that sets `cookie`: HttpOnly, SameSite=Lax (sent on the provider's
// top-level redirect back to us), limited to its path, Secure when it says so.
std::string set_cookie_value(const manager::BindingCookie& cookie);
// The Set-Cookie value that deletes the cookie `name` at `path`.
std::string expired_cookie_value(std::string_view name, std::string_view path, bool secure);

// No Referer (and, as for every answer, no caching): the URL or the answer carries a code, a
// state or a start link.
void add_no_leak_headers(http::Response& response);

}  // namespace oauth_manager::api
