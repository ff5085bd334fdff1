#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace oauth_manager::core {

// Stable error codes: clients branch on these names, so they never change meaning. Each maps to
// exactly one HTTP status in src/api/problem.cpp.
enum class Code {
  invalid_request,
  unauthenticated,
  forbidden,
  not_found,
  method_not_allowed,
  conflict,
  payload_too_large,
  headers_too_large,
  provider_unknown,
  state_invalid,
  state_expired,
  start_link_used,     // a connect start link opened a second time (or unknown, or expired)
  browser_mismatch,    // the callback came from another browser than the one that began the flow
  account_mismatch,    // a reconnect came back with another provider account
  flow_user_mismatch,  // a held connect flow confirmed by another user than the one who began it
  needs_reauth,
  insufficient_scope,
  provider_error,
  provider_misconfigured,  // the provider refuses our client (id, secret): an operator must act
  rate_limited,
  unavailable,
  internal,
};

std::string_view code_name(Code code);

// An expected failure, carried as a value. `message` is shown to the caller: it says what was wrong
// and what to do, and never contains a secret.
struct Error {
  Code code;
  std::string message;
  // When retrying makes sense (rate_limited, provider_error): sent as Retry-After.
  std::optional<std::chrono::seconds> retry_after = std::nullopt;
  // For the log only, never for the caller: driver messages, hosts and ports, key ids.
  std::string cause = {};
};

inline Error make_error(Code code, std::string message) { return Error{code, std::move(message)}; }

// A small stand-in for std::expected (not in g++ 12).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }

 private:
  Error error_{Code::internal, {}};
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace oauth_manager::core
