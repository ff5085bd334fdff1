#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "crypto/verification_key.hpp"

namespace oauth_manager::crypto {

// Where verification keys come from.
class KeySource {
 public:
  virtual ~KeySource() = default;
  // The keys to try for a token signed with `kid`. unavailable when none can be had.
  virtual boost::asio::awaitable<core::Result<std::vector<VerificationKey>>> keys_for(
      const std::optional<std::string>& kid) = 0;
};

// A configured secret or PEM public key.
class StaticKeySource final : public KeySource {
 public:
  explicit StaticKeySource(std::vector<VerificationKey> keys) : keys_(std::move(keys)) {}
  boost::asio::awaitable<core::Result<std::vector<VerificationKey>>> keys_for(
      const std::optional<std::string>& kid) override;

 private:
  std::vector<VerificationKey> keys_;
};

}  // namespace oauth_manager::crypto
