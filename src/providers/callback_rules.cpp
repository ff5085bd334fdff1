#include "providers/callback_rules.hpp"

#include <algorithm>

#include "core/scopes.hpp"

namespace oauth_manager::providers {

// A provider's error code, limited to RFC 6749's character set before it goes anywhere.
std::string sanitized_error_code(const std::string& code) {
  std::string clean;
  for (char c : code.substr(0, 64)) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') clean += c;
  }
  return clean.empty() ? "provider_error" : clean;
}

std::optional<std::string> account_field(const nlohmann::json& source, const std::string& pointer) {
  try {
    const nlohmann::json::json_pointer at(pointer);
    if (!source.contains(at)) return std::nullopt;
    const auto& value = source.at(at);
    if (value.is_string() && !value.get<std::string>().empty()) return value.get<std::string>();
    if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  } catch (const nlohmann::json::exception&) {
  }
  return std::nullopt;
}

std::optional<std::string> account_id(const nlohmann::json& source, const AccountMapping& mapping) {
  auto id = account_field(source, mapping.id);
  if (!id || !mapping.tenant) return id;
  const auto tenant = account_field(source, *mapping.tenant);
  if (!tenant) return std::nullopt;
  return *tenant + "/" + *id;
}

// The scopes a token response says were granted (RFC 6749 §5.1: when they differ from the
// request); the requested ones when it says nothing.
std::vector<std::string> granted_scopes(const TokenResponse& response,
                                        const std::vector<std::string>& requested) {
  if (!response.scope) return requested;
  auto text = *response.scope;
  // Some token endpoints answer with comma-separated scopes; both separators are read.
  std::replace(text.begin(), text.end(), ',', ' ');
  return core::split_scopes(text);
}

namespace {

bool issuer_matches(const ProviderSpec& spec, const std::string& iss) {
  if (!spec.issuer) return false;
  if (iss == *spec.issuer) return true;
  if (std::find(spec.accepted_issuers.begin(), spec.accepted_issuers.end(), iss) !=
      spec.accepted_issuers.end()) {
    return true;
  }
  // A {tenantid} template matches any single tenant segment.
  const auto at = spec.issuer->find("{tenantid}");
  if (at == std::string::npos) return false;
  const auto prefix = spec.issuer->substr(0, at);
  const auto suffix = spec.issuer->substr(at + 10);
  if (iss.size() <= prefix.size() + suffix.size() || iss.rfind(prefix, 0) != 0 ||
      iss.compare(iss.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  const auto tenant = iss.substr(prefix.size(), iss.size() - prefix.size() - suffix.size());
  return tenant.find('/') == std::string::npos;
}

}  // namespace

// RFC 9207: an `iss` in the authorization response must be the provider's; a provider that
// advertises it must send it. This defeats mix-up attacks across providers.
core::Status check_callback_issuer(const ProviderSpec& spec,
                                   const std::optional<std::string>& iss) {
  if (spec.issuer_in_callback == CallbackIssuer::never) return core::Status{};
  if (!iss) {
    if (spec.issuer_in_callback == CallbackIssuer::required) {
      return core::make_error(
          core::Code::invalid_request,
          "the authorization response has no iss, which this provider always sends "
          "(RFC 9207)");
    }
    return core::Status{};
  }
  if (!issuer_matches(spec, *iss)) {
    return core::make_error(
        core::Code::invalid_request,
        "the authorization response's iss is not this provider's issuer (RFC 9207)");
  }
  return core::Status{};
}

}  // namespace oauth_manager::providers
