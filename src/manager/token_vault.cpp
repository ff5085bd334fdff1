#include "manager/token_vault.hpp"

namespace oauth_manager::manager {
namespace {

std::string associated_data(const std::string& integration_id, std::string_view field) {
  return integration_id + "/" + std::string(field);
}

constexpr std::string_view kAccessField = "access_token";
constexpr std::string_view kRefreshField = "refresh_token";

}  // namespace

core::TokenRecord TokenVault::seal(const std::string& integration_id, const TokenSet& tokens,
                                   core::Timestamp now) const {
  core::TokenRecord record;
  record.integration_id = integration_id;
  record.access_token_ciphertext =
      keyring_.encrypt(tokens.access_token, associated_data(integration_id, kAccessField));
  if (tokens.refresh_token) {
    record.refresh_token_ciphertext =
        keyring_.encrypt(*tokens.refresh_token, associated_data(integration_id, kRefreshField));
  }
  record.token_type = tokens.token_type;
  record.expires_at = tokens.expires_at;
  record.key_id = keyring_.primary_id();
  record.updated_at = now;
  return record;
}

core::Result<std::string> TokenVault::open_field(const std::string& integration_id,
                                                 std::string_view field,
                                                 std::string_view ciphertext) const {
  return keyring_.decrypt(ciphertext, associated_data(integration_id, field));
}

core::Result<TokenSet> TokenVault::open_access(const core::TokenRecord& record) const {
  TokenSet tokens;
  auto access = open_field(record.integration_id, kAccessField, record.access_token_ciphertext);
  if (!access) return access.error();
  tokens.access_token = std::move(*access);
  tokens.token_type = record.token_type;
  tokens.expires_at = record.expires_at;
  return tokens;
}

core::Result<TokenSet> TokenVault::open(const core::TokenRecord& record) const {
  auto tokens = open_access(record);
  if (!tokens || !record.refresh_token_ciphertext) return tokens;
  auto refresh = open_field(record.integration_id, kRefreshField, *record.refresh_token_ciphertext);
  if (!refresh) return refresh.error();
  tokens->refresh_token = std::move(*refresh);
  return tokens;
}

}  // namespace oauth_manager::manager
