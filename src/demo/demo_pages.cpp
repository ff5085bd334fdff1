#include "demo/demo_pages.hpp"

#include <fmt/format.h>

#include <map>

#include "core/text.hpp"

namespace oauth_manager::demo {
namespace {

constexpr const char* kPolicy =
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";

std::string scope_words(const std::string& scope) {
  static const std::map<std::string, std::string> kWords = {
      {"openid", "Confirm who you are"},
      {"email", "See your email address"},
      {"profile", "See your name and basic profile"},
      {"offline_access", "Keep access while you are away"}};
  const auto found = kWords.find(scope);
  return found == kWords.end() ? scope : found->second;
}

http::Response page(int status, const std::string& title, const std::string& main) {
  http::Response response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.headers.emplace_back("Content-Security-Policy", kPolicy);
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.body = fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>{0} · Demo provider</title>"
      "<link rel=\"stylesheet\" href=\"/connect/connect.css\"></head>\n<body><main>"
      "<p class=\"muted\">Demo provider: a stand-in for Google or Microsoft on this machine</p>"
      "<h1>{0}</h1>{1}</main></body></html>\n",
      core::html_escape(title), main);
  return response;
}

}  // namespace

http::Response login_page(const std::string& interaction, const std::string& problem) {
  const auto alert = problem.empty()
                         ? std::string()
                         : fmt::format("<p class=\"message error\" role=\"alert\">{}</p>",
                                       core::html_escape(problem));
  return page(problem.empty() ? 200 : 400, "Sign in",
              fmt::format("{}<form method=\"post\" action=\"/demo/login\">"
                          "<input type=\"hidden\" name=\"interaction\" value=\"{}\">"
                          "<p><label for=\"name\">Your name (any name will do)</label></p>"
                          "<p><input id=\"name\" name=\"name\" autocomplete=\"name\" required "
                          "maxlength=\"64\" autofocus></p>"
                          "<p><button type=\"submit\" class=\"primary\">Sign in</button></p>"
                          "</form>",
                          alert, core::html_escape(interaction)));
}

http::Response consent_page(const std::string& interaction, const std::string& name,
                            const std::vector<std::string>& scopes) {
  std::string items;
  for (const auto& scope : scopes)
    items += fmt::format("<li>{}</li>", core::html_escape(scope_words(scope)));
  return page(200, "Allow access?",
              fmt::format("<p>Signed in as <strong>{}</strong>. The application asks to:</p>"
                          "<ul class=\"scopes\">{}</ul>"
                          "<form method=\"post\" action=\"/demo/consent\" class=\"actions\">"
                          "<input type=\"hidden\" name=\"interaction\" value=\"{}\">"
                          "<button type=\"submit\" name=\"decision\" value=\"deny\" "
                          "class=\"secondary\">Deny</button>"
                          "<button type=\"submit\" name=\"decision\" value=\"allow\" "
                          "class=\"primary\">Allow</button></form>",
                          core::html_escape(name), items, core::html_escape(interaction)));
}

http::Response demo_error_page(int status, const std::string& message) {
  return page(status, "This sign-in cannot go on",
              fmt::format("<p class=\"message error\">{}</p>", core::html_escape(message)));
}

}  // namespace oauth_manager::demo
