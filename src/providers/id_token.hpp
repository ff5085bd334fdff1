#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "crypto/key_source.hpp"
#include "providers/provider.hpp"

namespace oauth_manager::providers {

// Validates an OpenID Connect id_token (OIDC Core §3.1.3.7) and returns its claims: signature
// by the provider's JWKS (an unknown kid refetches), alg from the catalog's allow-list, iss
// (with Microsoft's {tenantid} template filled from `tid`, then compared exactly), aud contains
// our client_id, azp when present (required with several audiences), exp, iat, and the nonce we
// sent. Failures are provider_error saying which check failed.
boost::asio::awaitable<core::Result<nlohmann::json>> validate_id_token(
    const Provider& provider, const std::string& id_token,
    const std::optional<std::string>& expected_nonce, crypto::KeySource& keys, core::Timestamp now);

}  // namespace oauth_manager::providers
