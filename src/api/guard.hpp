#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "auth/authenticator.hpp"
#include "auth/rate_limiter.hpp"
#include "core/audit_event.hpp"
#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "events/audit_writer.hpp"
#include "http/router.hpp"

namespace oauth_manager::api {

// What every authenticated endpoint needs before its own work.
struct GuardServices {
  auth::Authenticator& authenticator;
  auth::RateLimiter* rate_limiter;  // null when rate limiting is off
  core::BlockingPool& blocking;     // for a rate limiter that does I/O (Redis)
  events::AuditWriter& audit;
  auth::RoleRateLimits limits;  // a caller's by its roles; client IPs get the fallback
};

// One authenticated call as a handler sees it. The handler names what the call was about in
// `audit` (user_id, integration_id, details); the guard fills in who, what, outcome, request id
// and ip, and writes the event whatever the outcome.
struct Call {
  http::Request& request;
  core::Caller caller;
  core::AuditEvent audit;
};

using CallHandler = std::function<boost::asio::awaitable<core::Result<http::Response>>(Call&)>;

struct EndpointPolicy {
  core::Permission permission;  // needed to call the endpoint at all
  std::string audit_event;      // e.g. "integrations.list"
};

// Wraps `handler` in: authenticate the bearer JWT (401 with WWW-Authenticate), rate limit per
// caller (429 with Retry-After), check the permission (403), run, audit. Unauthenticated
// requests are rate limited per client ip before they can write audit events.
http::Handler protect(GuardServices& services, EndpointPolicy policy, CallHandler handler);

// Who a request's credentials name (unauthenticated when they name nobody).
using CallerSource =
    std::function<boost::asio::awaitable<core::Result<core::Caller>>(const http::Request&)>;

// protect(), with another kind of credential than the JWT (the connect page's session token).
http::Handler protect_with(GuardServices& services, CallerSource source, EndpointPolicy policy,
                           CallHandler handler);

// An anonymous endpoint (the OAuth callback) limited per client IP in its own `bucket`, so a
// flood of fake callbacks cannot buy a database write each without bound.
http::Handler limit_by_ip(GuardServices& services, std::string bucket, http::Handler handler);

// Takes one token from the bucket `key` (refilled at `limit`); rate_limited when it is empty.
boost::asio::awaitable<core::Status> take_rate_token(GuardServices& services,
                                                     const std::string& key,
                                                     const auth::RateLimit& limit);

}  // namespace oauth_manager::api
