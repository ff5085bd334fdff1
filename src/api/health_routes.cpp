#include "api/health_routes.hpp"

#include "api/problem.hpp"
#include "log/logger.hpp"

namespace oauth_manager::api {

void add_health_routes(http::Router& router, store::Store& store, core::BlockingPool& blocking) {
  router.add("GET", "/healthz", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, R"({"status":"ok"})");
  });
  router.add("GET", "/readyz",
             [&store, &blocking](http::Request& request) -> boost::asio::awaitable<http::Response> {
               auto ping = co_await blocking.run([&store] { return store.ping(); });
               if (!ping) {
                 // The reason goes to the log only: this endpoint is unauthenticated.
                 log::warn("readyz.database_unreachable",
                           {{"request_id", request.request_id}, {"error", ping.error().message}});
                 co_return problem_response(
                     core::make_error(core::Code::unavailable, "the database is not reachable"),
                     request);
               }
               co_return http::json_response(200, R"({"status":"ready","database":"ok"})");
             });
}

}  // namespace oauth_manager::api
