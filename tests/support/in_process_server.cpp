#include "support/in_process_server.hpp"

#include <stdexcept>

#include "api/problem.hpp"

namespace oauth_manager::testing {

InProcessServer::InProcessServer(int threads) : thread_count_(threads), io_(threads) {}

InProcessServer::InProcessServer(const http::Router& router, int threads)
    : InProcessServer(threads) {
  listen(router);
  start();
}

std::unique_ptr<InProcessServer> InProcessServer::bound(int threads) {
  std::unique_ptr<InProcessServer> server(new InProcessServer(threads));
  server->listen(server->routes_);
  return server;
}

void InProcessServer::serve(const http::Router& router) {
  if (!threads_.empty()) throw std::logic_error("the test server is serving already");
  routes_ = router;
  start();
}

void InProcessServer::listen(const http::Router& router) {
  http::ServerOptions options;
  options.port = 0;
  server_ = std::make_unique<http::Server>(io_, options, router, &api::problem_response);
  if (!server_->listen()) throw std::runtime_error("the test server cannot listen");
}

void InProcessServer::start() {
  server_->start();
  for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { io_.run(); });
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
