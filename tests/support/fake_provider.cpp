#include "support/fake_provider.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace oauth_manager::testing {

using Awaitable = boost::asio::awaitable<http::Response>;

namespace {

FakeProvider::TokenRequest recorded(const http::Request& request) {
  FakeProvider::TokenRequest copy;
  copy.authorization = std::string(request.header("authorization").value_or(""));
  copy.content_type = std::string(request.header("content-type").value_or(""));
  copy.headers = request.headers;
  copy.body = request.body;
  return copy;
}

// A provider that takes `delay` to answer (no wait at all for zero).
boost::asio::awaitable<void> pause(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  boost::system::error_code ignored;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
}

}  // namespace

FakeProvider::FakeProvider() : key_(SigningKey::rsa("fake-key-1")) {
  router_.add("GET", "/jwks", [this](http::Request&) -> Awaitable {
    std::lock_guard lock(mutex_);
    ++jwks_fetches_;
    co_return http::json_response(200, jwks_document({key_.public_jwk()}));
  });
  router_.add("POST", "/token", [this](http::Request& request) -> Awaitable {
    std::chrono::milliseconds delay{0};
    http::Response response;
    {
      std::lock_guard lock(mutex_);
      token_requests_.push_back(recorded(request));
      delay = token_delay_;
      response = http::json_response(token_status_, token_body_.dump());
      for (const auto& header : token_headers_) response.headers.push_back(header);
    }
    co_await pause(delay);
    co_return response;
  });
  router_.add("POST", "/revoke", [this](http::Request& request) -> Awaitable {
    std::chrono::milliseconds delay{0};
    int status = 200;
    {
      std::lock_guard lock(mutex_);
      revoke_requests_.push_back(recorded(request));
      delay = revoke_delay_;
      status = revoke_status_;
    }
    co_await pause(delay);
    co_return http::json_response(status, "{}");
  });
  router_.add("GET", "/userinfo", [this](http::Request&) -> Awaitable {
    std::lock_guard lock(mutex_);
    co_return http::json_response(200, userinfo_.dump());
  });
  server_ = std::make_unique<InProcessServer>(router_);
}

FakeProvider::~FakeProvider() { server_.reset(); }

void FakeProvider::answer_token(int status, nlohmann::json body,
                                std::vector<std::pair<std::string, std::string>> headers) {
  std::lock_guard lock(mutex_);
  token_status_ = status;
  token_body_ = std::move(body);
  token_headers_ = std::move(headers);
}

void FakeProvider::delay_token(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  token_delay_ = delay;
}

void FakeProvider::answer_userinfo(nlohmann::json body) {
  std::lock_guard lock(mutex_);
  userinfo_ = std::move(body);
}

void FakeProvider::delay_revoke(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  revoke_delay_ = delay;
}

void FakeProvider::answer_revoke(int status) {
  std::lock_guard lock(mutex_);
  revoke_status_ = status;
}

std::vector<FakeProvider::TokenRequest> FakeProvider::revoke_requests() const {
  std::lock_guard lock(mutex_);
  return revoke_requests_;
}

std::vector<FakeProvider::TokenRequest> FakeProvider::token_requests() const {
  std::lock_guard lock(mutex_);
  return token_requests_;
}

int FakeProvider::jwks_fetches() const {
  std::lock_guard lock(mutex_);
  return jwks_fetches_;
}

}  // namespace oauth_manager::testing
