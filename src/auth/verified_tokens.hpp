#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/caller.hpp"
#include "core/clock.hpp"

namespace oauth_manager::auth {

// A token whose signature and claims were checked, and what they said.
struct VerifiedToken {
  core::Caller caller;                    // before its session is checked
  std::optional<std::string> session_id;  // the session claim's value, when sessions are checked
  core::Timestamp until;                  // the earlier of its exp and the recheck time
};

// Tokens verified lately, by their exact text: a backend calls with the same token thousands of
// times a second, and decoding, parsing and checking its signature were most of a request's
// cost. An entry lasts until the token's exp, and never longer than kRecheckAfter after it was
// verified, so that a key withdrawn from the JWKS stops working within that time; a session
// (logout) is still checked on every request. Bounded: long tokens are not kept, and at
// kMaxEntries the expired entries go, or all of them if none has expired.
class VerifiedTokens {
 public:
  static constexpr std::chrono::seconds kRecheckAfter{30};
  static constexpr std::size_t kMaxEntries = 10000;
  static constexpr std::size_t kMaxTokenBytes = 2048;

  std::optional<VerifiedToken> find(std::string_view token, core::Timestamp now);
  void put(std::string_view token, VerifiedToken verified, core::Timestamp now);

 private:
  // Looked up by the request's view of the token, without copying its text into a key first.
  struct TokenHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view token) const {
      return std::hash<std::string_view>{}(token);
    }
  };

  std::mutex mutex_;
  std::unordered_map<std::string, VerifiedToken, TokenHash, std::equal_to<>> entries_;
};

}  // namespace oauth_manager::auth
