#include "support/oidc_provider_peer.hpp"

#include <filesystem>
#include <thread>

#include "net/url.hpp"
#include "support/raw_http.hpp"

namespace oauth_manager::testing {
namespace {

const std::filesystem::path kPeerDir =
    std::filesystem::path(OAUTH_MANAGER_SOURCE_DIR) / "tests" / "peers" / "oidc-provider";

std::string join(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : ",") + item;
  return joined;
}

}  // namespace

std::unique_ptr<OidcProviderPeer> OidcProviderPeer::start(const Options& options) {
  if (!std::filesystem::exists(kPeerDir / "node_modules" / "oidc-provider")) return nullptr;
  const std::string node = std::filesystem::exists("/usr/bin/node") ? "/usr/bin/node" : "node";
  std::unique_ptr<OidcProviderPeer> peer(new OidcProviderPeer());
  peer->process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{node, (kPeerDir / "server.mjs").string()},
      std::map<std::string, std::string>{
          {"CLIENT_ID", options.client_id},
          {"CLIENT_SECRET", options.client_secret},
          {"REDIRECT_URIS", join(options.redirect_uris)},
          {"ACCESS_TOKEN_TTL", std::to_string(options.access_token_ttl_seconds)}},
      kPeerDir);
  for (int wait = 0; wait < 300; ++wait) {
    const auto out = peer->process_->stdout_text();
    if (const auto newline = out.find('\n'); newline != std::string::npos) {
      const auto line = nlohmann::json::parse(out.substr(0, newline), nullptr, false);
      if (line.is_object() && line.contains("issuer")) {
        peer->issuer_ = line["issuer"].get<std::string>();
        return peer;
      }
    }
    if (peer->process_->wait_for_exit(std::chrono::milliseconds(0))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("the OIDC provider peer did not start: " +
                           peer->process_->stderr_text());
}

std::uint16_t OidcProviderPeer::port() const { return net::parse_url(issuer_)->port; }

nlohmann::json OidcProviderPeer::stats() const {
  const auto response = http_exchange(
      port(), "GET /test/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  return nlohmann::json::parse(body_of(response), nullptr, false);
}

void OidcProviderPeer::set_access_token_ttl(int seconds) const {
  http_exchange(port(), "POST /test/ttl?seconds=" + std::to_string(seconds) +
                            " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: "
                            "close\r\n\r\n");
}

}  // namespace oauth_manager::testing
