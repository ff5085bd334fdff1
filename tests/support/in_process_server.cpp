#include "support/in_process_server.hpp"

#include <stdexcept>

#include "api/problem.hpp"

namespace oauth_manager::testing {

InProcessServer::InProcessServer(const http::Router& router, int threads, std::uint16_t port)
    : io_(threads) {
  http::ServerOptions options;
  options.port = port;
  server_ = std::make_unique<http::Server>(io_, options, router, &api::problem_response);
  if (!server_->listen()) throw std::runtime_error("the test server cannot listen");
  server_->start();
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

void InProcessServer::stop() {
  if (threads_.empty()) return;
  server_->shutdown([] {});
  io_.stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

InProcessServer::~InProcessServer() { stop(); }

std::string InProcessServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

}  // namespace oauth_manager::testing
