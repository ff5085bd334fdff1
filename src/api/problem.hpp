#pragma once

#include "core/error.hpp"
#include "http/message.hpp"

namespace oauth_manager::api {

// The one mapping from an error code to its HTTP status.
int http_status(core::Code code);

// An RFC 9457 application/problem+json response: type, title, status, detail, plus the stable
// `code` and the request id so a user can quote it to an operator.
http::Response problem_response(const core::Error& error, const http::Request& request);

}  // namespace oauth_manager::api
