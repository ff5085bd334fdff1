#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "crypto/key_source.hpp"
#include "net/http_client.hpp"

namespace oauth_manager::net {

struct JwksCacheRules {
  // An unknown kid triggers a refetch at most this often, so forged kids cannot make us hammer
  // the JWKS endpoint.
  std::chrono::seconds min_refetch_interval{60};
  std::chrono::seconds default_lifetime{300};  // when the response has no Cache-Control max-age
  std::chrono::seconds max_lifetime{86400};
};

// A JWKS URL, cached for its Cache-Control max-age (bounded by JwksCacheRules) and refetched
// early when a token names an unknown kid (key rotation). A failed refetch keeps the old keys.
class JwksKeySource final : public crypto::KeySource {
 public:
  JwksKeySource(std::string url, HttpClient& client, const core::Clock& clock,
                JwksCacheRules rules = {});
  boost::asio::awaitable<core::Result<std::vector<crypto::VerificationKey>>> keys_for(
      const std::optional<std::string>& kid) override;
  int fetches() const;

 private:
  boost::asio::awaitable<core::Status> fetch();
  std::chrono::seconds lifetime_from(const HttpResponse& response) const;

  std::string url_;
  HttpClient& client_;
  const core::Clock& clock_;
  JwksCacheRules rules_;
  mutable std::mutex mutex_;
  std::vector<crypto::VerificationKey> keys_;
  core::Timestamp expires_at_{};
  std::optional<core::Timestamp> last_attempt_;
  int fetches_ = 0;
};

}  // namespace oauth_manager::net
