#include "crypto/key_source.hpp"

namespace oauth_manager::crypto {

boost::asio::awaitable<core::Result<std::vector<VerificationKey>>> StaticKeySource::keys_for(
    const std::optional<std::string>&) {
  co_return keys_;
}

}  // namespace oauth_manager::crypto
