#include "core/error.hpp"

namespace oauth_manager::core {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::invalid_request:
      return "invalid_request";
    case Code::unauthenticated:
      return "unauthenticated";
    case Code::forbidden:
      return "forbidden";
    case Code::not_found:
      return "not_found";
    case Code::method_not_allowed:
      return "method_not_allowed";
    case Code::conflict:
      return "conflict";
    case Code::payload_too_large:
      return "payload_too_large";
    case Code::headers_too_large:
      return "headers_too_large";
    case Code::provider_unknown:
      return "provider_unknown";
    case Code::state_invalid:
      return "state_invalid";
    case Code::state_expired:
      return "state_expired";
    case Code::needs_reauth:
      return "needs_reauth";
    case Code::insufficient_scope:
      return "insufficient_scope";
    case Code::provider_error:
      return "provider_error";
    case Code::start_link_used:
      return "start_link_used";
    case Code::browser_mismatch:
      return "browser_mismatch";
    case Code::account_mismatch:
      return "account_mismatch";
    case Code::flow_user_mismatch:
      return "flow_user_mismatch";
    case Code::provider_misconfigured:
      return "provider_misconfigured";
    case Code::rate_limited:
      return "rate_limited";
    case Code::unavailable:
      return "unavailable";
    case Code::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace oauth_manager::core
