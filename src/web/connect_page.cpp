#include "web/connect_page.hpp"

#include <stdexcept>
#include <string>

#include "web/embedded_assets.hpp"

namespace oauth_manager::web {
namespace {

// Nothing but this origin's own script, style and API; no inline code (a script injected into
// the page could read the session token); never inside another site's frame (clickjacking the
// disconnect button).
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

std::string_view asset(std::string_view name) {
  for (const auto& file : embedded_web_assets()) {
    if (file.name == name) return file.contents;
  }
  throw std::logic_error("a web asset is missing from the build: " + std::string(name));
}

http::Response page_response(std::string_view name, std::string content_type) {
  http::Response response;
  response.status = 200;
  response.content_type = std::move(content_type);
  response.body = std::string(asset(name));
  response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

void serve(http::Router& router, const std::string& path, std::string_view name,
           const std::string& content_type) {
  // Built once: the files never change while the process runs.
  const auto response = page_response(name, content_type);
  router.add("GET", path, [response](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return response;
  });
}

}  // namespace

void add_connect_page_routes(http::Router& router) {
  serve(router, "/connect", "connect.html", "text/html; charset=utf-8");
  serve(router, "/connect/connect.js", "connect.js", "text/javascript; charset=utf-8");
  serve(router, "/connect/connect.css", "connect.css", "text/css; charset=utf-8");
}

}  // namespace oauth_manager::web
