#include "api/openapi.hpp"

#include <nlohmann/json.hpp>

#include "api/embedded_openapi.hpp"

namespace oauth_manager::api {

const std::string& openapi_document() {
  // src/api/openapi.json, compiled in; parsed and re-serialised once, so a typo in it fails loudly
  // at start-up and in tests. Its version is the build's, never a number kept by hand.
  static const std::string document = [] {
    auto parsed = nlohmann::json::parse(embedded_openapi_files().at(0).contents);
    parsed["info"]["version"] = OAUTH_MANAGER_VERSION;
    return parsed.dump();
  }();
  return document;
}
void add_openapi_route(http::Router& router) {
  router.add("GET", "/openapi.json", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, openapi_document());
  });
}

}  // namespace oauth_manager::api
