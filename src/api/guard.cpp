#include "api/guard.hpp"

#include <fmt/format.h>

#include <chrono>

#include "api/problem.hpp"
#include "log/logger.hpp"

namespace oauth_manager::api {

namespace {

using Awaitable = boost::asio::awaitable<http::Response>;

// RFC 6750 §3: a request without credentials gets the challenge alone; a bad token also gets
// error="invalid_token" (the detail is in the problem body, not the header).
http::Response unauthenticated_response(const core::Error& error, const http::Request& request) {
  auto response = problem_response(error, request);
  const bool had_credentials = request.header("authorization").has_value();
  response.headers.emplace_back(
      "WWW-Authenticate", had_credentials ? R"(Bearer realm="oauth-manager", error="invalid_token")"
                                          : R"(Bearer realm="oauth-manager")");
  return response;
}

core::Error rate_limited(std::chrono::milliseconds retry_after) {
  auto error = core::make_error(core::Code::rate_limited,
                                "too many requests from this caller; retry after the delay given "
                                "in Retry-After");
  error.retry_after = std::chrono::ceil<std::chrono::seconds>(retry_after);
  return error;
}

core::AuditEvent base_event(const http::Request& request, const EndpointPolicy& policy) {
  core::AuditEvent event;
  event.actor = "anonymous";
  event.event = policy.audit_event;
  if (!request.request_id.empty()) event.request_id = request.request_id;
  if (!request.remote_ip.empty()) event.ip = request.remote_ip;
  return event;
}

// Writes the event; false when it could not be written.
boost::asio::awaitable<bool> write_audit(GuardServices& services, core::AuditEvent event) {
  // Moved, not copied, into the writer; what the log line needs is kept first.
  const auto name = event.event;
  const auto outcome = event.outcome;
  auto written = co_await services.audit.record(std::move(event));
  if (!written) {
    log::error("audit.write_failed",
               {{"event", name}, {"outcome", outcome}, {"error", written.error().message}});
  }
  co_return written.ok();
}

Awaitable reject_unauthenticated(GuardServices& services, const EndpointPolicy& policy,
                                 http::Request& request, const core::Error& error) {
  // A named key, not a temporary inside the co_await (g++ 12 destroys those twice: GCC 99576).
  const auto key = "ip:" + request.remote_ip;
  const auto& limit = services.limits.fallback;
  if (auto allowed = co_await take_rate_token(services, key, limit); !allowed) {
    co_return problem_response(allowed.error(), request);
  }
  auto event = base_event(request, policy);
  event.outcome = std::string(core::code_name(error.code));
  event.details = nlohmann::json{{"reason", error.message}}.dump();
  co_await write_audit(services, std::move(event));
  if (error.code != core::Code::unauthenticated) co_return problem_response(error, request);
  co_return unauthenticated_response(error, request);
}

Awaitable guarded_call(GuardServices& services, const CallerSource& source,
                       const EndpointPolicy& policy, const CallHandler& handler,
                       http::Request& request) {
  auto caller = co_await source(request);
  if (!caller) co_return co_await reject_unauthenticated(services, policy, request, caller.error());

  Call call{request, std::move(*caller), base_event(request, policy)};
  call.audit.actor = call.caller.actor();
  core::Result<http::Response> outcome = core::make_error(core::Code::internal, "not run");
  const auto limit = services.limits.for_roles(call.caller.roles);
  if (auto allowed = co_await take_rate_token(services, call.audit.actor, limit); !allowed) {
    outcome = allowed.error();
  } else if (!call.caller.can(policy.permission)) {
    outcome = core::make_error(core::Code::forbidden,
                               fmt::format("this endpoint needs the {} permission",
                                           core::permission_name(policy.permission)));
  } else {
    outcome = co_await handler(call);
  }

  call.audit.outcome = outcome ? "ok" : std::string(core::code_name(outcome.error().code));
  const bool audited = co_await write_audit(services, std::move(call.audit));
  if (!outcome) co_return problem_response(outcome.error(), request);
  if (!audited) {
    // Nothing leaves without its audit record.
    co_return problem_response(
        core::make_error(core::Code::unavailable,
                         "the audit trail cannot be written right now; nothing was returned"),
        request);
  }
  co_return std::move(*outcome);
}

}  // namespace

// A rate limiter that cannot answer (Redis down) lets the request through: limits protect
// capacity, and refusing every caller would be the outage they exist to prevent.
boost::asio::awaitable<core::Status> take_rate_token(GuardServices& services,
                                                     const std::string& key,
                                                     const auth::RateLimit& limit) {
  if (services.rate_limiter == nullptr) co_return core::Status{};
  auto* limiter = services.rate_limiter;
  core::Result<auth::RateDecision> decision = auth::RateDecision{};
  if (limiter->blocks()) {
    decision = co_await services.blocking.run(
        [limiter, &key, &limit] { return limiter->take(key, limit); });
  } else {
    decision = limiter->take(key, limit);
  }
  if (!decision) {
    log::warn("rate_limit.unavailable", {{"error", decision.error().message}});
    co_return core::Status{};
  }
  if (!decision->allowed) co_return rate_limited(decision->retry_after);
  co_return core::Status{};
}

http::Handler limit_by_ip(GuardServices& services, std::string bucket, http::Handler handler) {
  return [&services, bucket = std::move(bucket),
          handler = std::move(handler)](http::Request& request) -> Awaitable {
    const auto key = bucket + ":ip:" + request.remote_ip;
    const auto& limit = services.limits.fallback;
    if (auto allowed = co_await take_rate_token(services, key, limit); !allowed) {
      co_return problem_response(allowed.error(), request);
    }
    co_return co_await handler(request);
  };
}

http::Handler protect_with(GuardServices& services, CallerSource source, EndpointPolicy policy,
                           CallHandler handler) {
  // Not a coroutine itself (one frame less per request): the router keeps this lambda, and so
  // what guarded_call is given by reference, alive for the server's life.
  return [&services, source = std::move(source), policy = std::move(policy),
          handler = std::move(handler)](http::Request& request) -> Awaitable {
    return guarded_call(services, source, policy, handler, request);
  };
}

http::Handler protect(GuardServices& services, EndpointPolicy policy, CallHandler handler) {
  CallerSource jwt = [&services](const http::Request& request) {
    return services.authenticator.authenticate(request.header("authorization"));
  };
  return protect_with(services, std::move(jwt), std::move(policy), std::move(handler));
}

}  // namespace oauth_manager::api
