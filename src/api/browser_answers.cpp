#include "api/browser_answers.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "api/problem.hpp"
#include "core/text.hpp"

namespace oauth_manager::api {
namespace {

bool accepts_html(const http::Request& request) {
  const auto accept = request.header("accept");
  return accept && accept->find("text/html") != std::string_view::npos;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

http::Response browser_problem(const core::Error& error, const http::Request& request) {
  auto problem = problem_response(error, request);
  if (!accepts_html(request)) return problem;
  // The page says exactly what the problem says: one place decides what a caller may see.
  const auto body = nlohmann::json::parse(problem.body, nullptr, false);
  const auto field = [&](const char* name) {
    return body.is_object() && body.contains(name) && body[name].is_string()
               ? body[name].get<std::string>()
               : std::string();
  };
  http::Response page;
  page.status = problem.status;
  page.content_type = "text/html; charset=utf-8";
  page.headers = problem.headers;
  page.headers.emplace_back("Content-Security-Policy",
                            "default-src 'none'; style-src 'self'; base-uri 'none'; "
                            "form-action 'none'; frame-ancestors 'none'");
  page.body = fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<link rel=\"stylesheet\" href=\"/connect/connect.css\">"
      "<title>{0}</title></head>\n<body><main><h1>{0}</h1><p class=\"message error\">{1}</p>"
      "<p class=\"muted\"><small>Error code <code>{2}</code>{3}</small></p></main></body>"
      "</html>\n",
      core::html_escape(field("title")), core::html_escape(field("detail")),
      core::html_escape(field("code")),
      request.request_id.empty()
          ? std::string()
          : fmt::format(", request id <code>{}</code>", core::html_escape(request.request_id)));
  return page;
}

std::map<std::string, std::string> request_cookies(const http::Request& request) {
  std::map<std::string, std::string> cookies;
  for (const auto& [name, value] : request.headers) {
    if (name != "cookie") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto end = rest.find(';');
      const auto pair = trimmed(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      const auto equals = pair.find('=');
      if (equals == std::string_view::npos || equals == 0) continue;
      cookies.emplace(std::string(trimmed(pair.substr(0, equals))),
                      std::string(trimmed(pair.substr(equals + 1))));
    }
  }
  return cookies;
}

std::string set_cookie_value(const manager::BindingCookie& cookie) {
  return fmt::format("{}={}; Path={}; Max-Age={}; HttpOnly; SameSite=Lax{}", cookie.name,
                     cookie.value, cookie.path, cookie.max_age.count(),
                     cookie.secure ? "; Secure" : "");
}

std::string expired_cookie_value(std::string_view name, std::string_view path, bool secure) {
  return fmt::format("{}=; Path={}; Max-Age=0; HttpOnly; SameSite=Lax{}", name, path,
                     secure ? "; Secure" : "");
}

void add_no_leak_headers(http::Response& response) {
  // Cache-Control: no-store is the server's default for every answer.
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

}  // namespace oauth_manager::api
