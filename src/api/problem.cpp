#include "api/problem.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "log/logger.hpp"

namespace oauth_manager::api {
namespace {

std::string_view title(core::Code code) {
  using core::Code;
  switch (code) {
    case Code::invalid_request:
      return "The request is invalid";
    case Code::unauthenticated:
      return "Authentication is required";
    case Code::forbidden:
      return "The caller may not do this";
    case Code::not_found:
      return "Not found";
    case Code::method_not_allowed:
      return "Method not allowed";
    case Code::conflict:
      return "The request conflicts with the current state";
    case Code::payload_too_large:
      return "The request body is too large";
    case Code::headers_too_large:
      return "The request headers are too large";
    case Code::provider_unknown:
      return "Unknown provider";
    case Code::state_invalid:
      return "The authorization state is invalid";
    case Code::state_expired:
      return "The authorization state has expired";
    case Code::needs_reauth:
      return "The integration must be connected again";
    case Code::insufficient_scope:
      return "The integration lacks a required scope";
    case Code::provider_error:
      return "The provider failed";
    case Code::start_link_used:
      return "The connect link was already used";
    case Code::browser_mismatch:
      return "The connection was finished in another browser";
    case Code::account_mismatch:
      return "Another account came back";
    case Code::flow_user_mismatch:
      return "The connection was started by another user";
    case Code::provider_misconfigured:
      return "The provider refuses this service's client credentials";
    case Code::rate_limited:
      return "Too many requests";
    case Code::unavailable:
      return "The service is temporarily unavailable";
    case Code::internal:
      return "Internal error";
  }
  return "Internal error";
}

}  // namespace

int http_status(core::Code code) {
  using core::Code;
  switch (code) {
    case Code::invalid_request:
      return 400;
    case Code::unauthenticated:
      return 401;
    case Code::forbidden:
      return 403;
    case Code::not_found:
      return 404;
    case Code::method_not_allowed:
      return 405;
    case Code::conflict:
      return 409;
    case Code::payload_too_large:
      return 413;
    case Code::headers_too_large:
      return 431;
    case Code::provider_unknown:
      return 404;
    case Code::state_invalid:
      return 400;
    case Code::state_expired:
      return 400;
    case Code::needs_reauth:
      return 409;
    case Code::insufficient_scope:
      return 403;
    case Code::start_link_used:
    case Code::browser_mismatch:
      return 400;
    case Code::account_mismatch:
      return 409;
    case Code::flow_user_mismatch:
      return 403;
    case Code::provider_misconfigured:
      return 503;
    case Code::provider_error:
      return 503;
    case Code::rate_limited:
      return 429;
    case Code::unavailable:
      return 503;
    case Code::internal:
      return 500;
  }
  return 500;
}

namespace {

// internal and unavailable come from inside: a driver's message naming host and user, a file
// path, a key id. The caller gets a generic detail and the request id; the log gets the rest.
bool private_detail(core::Code code) {
  return code == core::Code::internal || code == core::Code::unavailable;
}

std::string public_detail(const core::Error& error, const http::Request& request) {
  if (!private_detail(error.code)) return error.message;
  const auto reference = request.request_id.empty()
                             ? std::string()
                             : fmt::format(" (request id {})", request.request_id);
  if (error.code == core::Code::internal) {
    return "something went wrong on our side; it is logged" + reference;
  }
  return "a service this request needs is unavailable right now; try again shortly" + reference;
}

void log_cause(const core::Error& error, const http::Request& request) {
  if (!private_detail(error.code) && error.cause.empty()) return;
  nlohmann::json fields = {{"request_id", request.request_id},
                           {"code", core::code_name(error.code)},
                           {"error", error.message}};
  if (!error.cause.empty()) fields["cause"] = error.cause;
  if (error.code == core::Code::internal) {
    log::error("request.failed", fields);
  } else {
    log::warn("request.failed", fields);
  }
}

}  // namespace

http::Response problem_response(const core::Error& error, const http::Request& request) {
  const auto code = core::code_name(error.code);
  const int status = http_status(error.code);
  log_cause(error, request);
  nlohmann::json body = {
      {"type", fmt::format("urn:oauth-manager:problem:{}", code)},
      {"title", title(error.code)},
      {"status", status},
      {"code", code},
      {"detail", public_detail(error, request)},
  };
  if (!request.request_id.empty()) body["request_id"] = request.request_id;
  auto response = http::json_response(
      status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  response.content_type = "application/problem+json";
  if (error.retry_after) {
    response.headers.emplace_back("Retry-After",
                                  std::to_string(std::max<long>(1, error.retry_after->count())));
  }
  return response;
}

}  // namespace oauth_manager::api
