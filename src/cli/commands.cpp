#include "cli/commands.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "auth/jwt_signer.hpp"
#include "core/clock.hpp"
#include "core/scopes.hpp"
#include "crypto/key_material.hpp"
#include "crypto/keyring.hpp"
#include "crypto/openssl_random.hpp"
#include "manager/key_rotation.hpp"
#include "store/open_store.hpp"

namespace oauth_manager::cli {

std::optional<config::Config> load_or_report(const std::optional<std::string>& config_file) {
  std::optional<std::filesystem::path> path;
  if (config_file) path = *config_file;
  auto loaded = config::load_config(path, config::process_environment());
  if (loaded.config) return std::move(loaded.config);
  fmt::print(stderr, "oauth-manager: the configuration has {} problem{}:\n", loaded.problems.size(),
             loaded.problems.size() == 1 ? "" : "s");
  for (const auto& problem : loaded.problems) {
    fmt::print(stderr, "  - {}: {}\n", problem.key, problem.message);
  }
  return std::nullopt;
}

int check_config_command(const std::optional<std::string>& config_file) {
  const auto config = load_or_report(config_file);
  if (!config) return kExitBadConfig;
  const auto backend = config->database.url.rfind("sqlite://", 0) == 0 ? "sqlite" : "postgres";
  fmt::print(
      "configuration is valid: listen {}:{}, public URL {}, {} database, {} key{} "
      "(primary \"{}\"), redis {}\n",
      config->server.listen_host, config->server.listen_port, config->server.public_url, backend,
      config->crypto.keys.size(), config->crypto.keys.size() == 1 ? "" : "s",
      config->crypto.keys.front().id, config->redis.url ? "configured" : "not configured");
  for (const auto& warning : config::config_warnings(*config)) {
    fmt::print("warning: {}: {}\n", warning.key, warning.message);
  }
  return kExitOk;
}

int migrate_command(const config::Config& config) {
  auto store = store::open_store(config.database.url, 1);
  if (!store) {
    fmt::print(stderr, "oauth-manager migrate: {}\n", store.error().message);
    return kExitFailure;
  }
  auto report = (*store)->migrate();
  if (!report) {
    fmt::print(stderr, "oauth-manager migrate: {}\n", report.error().message);
    return kExitFailure;
  }
  for (const auto& name : report->applied) fmt::print("applied {}\n", name);
  fmt::print("{} database is at version {} ({} applied now)\n", (*store)->backend_name(),
             report->current_version, report->applied.size());
  return kExitOk;
}

int mint_token_command(const config::Config& config, const MintTokenOptions& options) {
  if (!config.auth.hs256_secret) {
    fmt::print(stderr,
               "oauth-manager mint-token: needs [auth] hs256_secret or hs256_secret_file; with a "
               "public key or JWKS URL, the application that holds the private key mints tokens\n");
    return kExitFailure;
  }
  if (!options.scopes.empty() && !config.auth.scope_prefix) {
    fmt::print(stderr,
               "oauth-manager mint-token: --scope needs [auth] scope_prefix (only prefixed scope "
               "words grant permissions); use --role instead\n");
    return kExitFailure;
  }
  const auto now = core::to_unix_ms(core::SystemClock{}.now()) / 1000;
  nlohmann::json claims = {{"sub", options.subject},
                           {"aud", config.auth.audience},
                           {"iat", now},
                           {"exp", now + options.ttl_seconds},
                           {config.auth.roles_claim, options.roles}};
  if (config.auth.issuer) claims["iss"] = *config.auth.issuer;
  if (!options.scopes.empty()) {
    std::vector<std::string> prefixed;
    for (const auto& scope : options.scopes) prefixed.push_back(*config.auth.scope_prefix + scope);
    claims["scope"] = core::join_scopes(prefixed);
  }
  if (options.session_id && config.auth.session_claim) {
    claims[*config.auth.session_claim] = *options.session_id;
  }
  fmt::print("{}\n", auth::sign_hs256_jwt(claims, config.auth.hs256_secret->view()));
  return kExitOk;
}

int rotate_keys_command(const config::Config& config, int batch_size) {
  auto store = store::open_store(config.database.url, 1);
  if (!store) {
    fmt::print(stderr, "oauth-manager rotate-keys: {}\n", store.error().message);
    return kExitFailure;
  }
  crypto::OpenSslRandom random;
  const crypto::Keyring keyring(config.crypto.keys, random);
  const core::SystemClock clock;
  manager::KeyRotation rotation(**store, keyring, random, clock);
  fmt::print("re-encrypting token sets under the primary key \"{}\"\n", keyring.primary_id());
  auto done = rotation.run(batch_size, [](const manager::RotationProgress& progress) {
    fmt::print("re-encrypted {} so far, {} left\n", progress.reencrypted, progress.remaining);
    std::fflush(stdout);
  });
  if (!done) {
    fmt::print(stderr, "oauth-manager rotate-keys: {}\n", done.error().message);
    return kExitFailure;
  }
  fmt::print("done: {} re-encrypted; every token set is under \"{}\"\n", done->reencrypted,
             keyring.primary_id());
  // A revocation waiting in the outbox keeps the token sealed as it was at the disconnect.
  const auto pending = (*store)->count_outbox();
  if (pending && *pending > 0) {
    fmt::print(
        "{} outbox job(s) (revocations at providers, webhooks) are still pending; keep the "
        "older keys loaded until they are delivered, or a revocation sealed under a "
        "removed key is given up\n",
        *pending);
  } else {
    fmt::print("older keys can be removed\n");
  }
  return kExitOk;
}

int gen_key_command(const std::optional<std::string>& out_file, const std::string& kid) {
  crypto::OpenSslRandom random;
  const auto spec = crypto::generate_key_spec(random, kid);
  if (!crypto::parse_data_key(spec)) {
    fmt::print(stderr,
               "oauth-manager gen-key: \"{}\" is not a valid key id (use A-Z a-z 0-9 - _ .)\n",
               kid);
    return kExitFailure;
  }
  if (!out_file) {
    fmt::print("{}\n", spec);
    return kExitOk;
  }
  // O_EXCL: never overwrite an existing key file, which would make stored tokens unreadable.
  const int fd = ::open(out_file->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    fmt::print(stderr, "oauth-manager gen-key: cannot create \"{}\": {}\n", *out_file,
               std::strerror(errno));
    return kExitFailure;
  }
  const auto contents =
      fmt::format("# oauth-manager data keys: the first line is the primary key.\n{}\n", spec);
  const bool written =
      ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
  ::close(fd);
  if (!written) {
    fmt::print(stderr, "oauth-manager gen-key: writing \"{}\" failed\n", *out_file);
    return kExitFailure;
  }
  fmt::print(stderr, "wrote key \"{}\" to {} (mode 0600); keep it out of version control\n", kid,
             *out_file);
  return kExitOk;
}

}  // namespace oauth_manager::cli
