#pragma once

#include "core/random_source.hpp"

namespace oauth_manager::crypto {

// The operating system's CSPRNG through OpenSSL's RAND_bytes.
class OpenSslRandom final : public core::RandomSource {
 public:
  std::string bytes(std::size_t count) override;
};

}  // namespace oauth_manager::crypto
