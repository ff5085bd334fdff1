#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "support/in_process_server.hpp"
#include "support/signing_keys.hpp"

namespace oauth_manager::testing {

// A small OAuth provider on 127.0.0.1 whose token endpoint answers what the test sets. It exists
// for what no real server here does: Notion's token endpoint, Microsoft's tenant-templated
// issuer, Google's fewer-scopes-granted answers, and hostile id_tokens. Every token request is
// recorded so a test can check how we authenticated and what we sent.
class FakeProvider {
 public:
  struct TokenRequest {
    std::string authorization;  // the Authorization header
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };

  FakeProvider();
  ~FakeProvider();

  std::string url(const std::string& path) const { return server_->url(path); }
  SigningKey& key() { return key_; }

  // The next answers of POST /token.
  void answer_token(int status, nlohmann::json body,
                    std::vector<std::pair<std::string, std::string>> headers = {});
  // Token answers from now on come this late (a slow provider; a refresh still in flight).
  void delay_token(std::chrono::milliseconds delay);
  void answer_userinfo(nlohmann::json body);
  void answer_revoke(int status);
  // Revocation answers from now on come this late (the service may die meanwhile).
  void delay_revoke(std::chrono::milliseconds delay);
  std::vector<TokenRequest> token_requests() const;
  std::vector<TokenRequest> revoke_requests() const;
  int jwks_fetches() const;

 private:
  SigningKey key_;
  http::Router router_;
  mutable std::mutex mutex_;
  int token_status_ = 200;
  nlohmann::json token_body_ = nlohmann::json::object();
  std::chrono::milliseconds token_delay_{0};
  std::vector<std::pair<std::string, std::string>> token_headers_;
  nlohmann::json userinfo_ = nlohmann::json::object();
  std::vector<TokenRequest> token_requests_;
  int revoke_status_ = 200;
  std::chrono::milliseconds revoke_delay_{0};
  std::vector<TokenRequest> revoke_requests_;
  int jwks_fetches_ = 0;
  std::unique_ptr<InProcessServer> server_;
};

}  // namespace oauth_manager::testing
