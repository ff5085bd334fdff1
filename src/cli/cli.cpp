#include "cli/cli.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/clock.hpp"

namespace oauth_manager::cli {
namespace {

std::string default_key_id() {
  // "k" + the creation time makes ids unique enough and tells an operator which key is older.
  auto stamp = core::to_rfc3339(core::SystemClock{}.now());  // 2026-11-24T10:00:00.123Z
  std::string kid = "k";
  for (char c : stamp.substr(0, 19)) {
    if (std::isdigit(static_cast<unsigned char>(c))) kid += c;
  }
  return kid;
}

void add_config_option(CLI::App& command, std::optional<std::string>& config_file) {
  command.add_option("-c,--config", config_file, "TOML configuration file")
      ->envname("OAUTH_MANAGER_CONFIG");
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{
      "oauth-manager: connects your users' third-party accounts (Google, Microsoft, Notion, any "
      "OAuth 2.0 / OpenID Connect provider) and hands your backend valid access tokens.",
      "oauth-manager"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("oauth-manager {}", OAUTH_MANAGER_VERSION));

  std::optional<std::string> config_file;
  auto* serve = app.add_subcommand("serve", "Run the HTTP service");
  add_config_option(*serve, config_file);
  auto* migrate = app.add_subcommand("migrate", "Apply database migrations, then exit");
  add_config_option(*migrate, config_file);
  auto* check = app.add_subcommand(
      "check-config", "Validate the configuration and report every problem with its fix");
  add_config_option(*check, config_file);

  std::optional<std::string> out_file;
  std::string kid = default_key_id();
  auto* gen_key = app.add_subcommand(
      "gen-key", "Generate an AES-256 data key as \"<kid>:<base64>\" for [crypto] keys");
  gen_key->add_option("-o,--out", out_file,
                      "Write the key to this new file (mode 0600) instead of standard output");
  gen_key->add_option("--kid", kid, "Key id to use (default: k<timestamp>)");
  MintTokenOptions mint;
  auto* mint_token = app.add_subcommand(
      "mint-token", "Print an HS256 caller JWT signed with [auth] hs256_secret (development)");
  add_config_option(*mint_token, config_file);
  mint_token->add_option("--sub", mint.subject, "User id the token speaks for")->required();
  mint_token->add_option("--role", mint.roles, "A role, e.g. user, service, admin (repeatable)")
      ->default_val(std::vector<std::string>{"user"});
  mint_token->add_option("--scope", mint.scopes, "A permission granted directly (repeatable)");
  mint_token->add_option("--sid", mint.session_id,
                         "Session id, put in [auth] session_claim when configured");
  mint_token->add_option("--ttl", mint.ttl_seconds, "Lifetime in seconds")
      ->default_val(3600)
      ->check(CLI::Range(1, 86400 * 30));
  int rotation_batch = 500;
  auto* rotate_keys = app.add_subcommand(
      "rotate-keys",
      "Re-encrypt every stored token under the primary [crypto] key, online, in batches");
  add_config_option(*rotate_keys, config_file);
  rotate_keys->add_option("--batch", rotation_batch, "Token sets per batch")
      ->default_val(500)
      ->check(CLI::Range(1, 100000));
  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  if (*version) {
    fmt::print("oauth-manager {}\n", OAUTH_MANAGER_VERSION);
    return kExitOk;
  }
  if (*gen_key) return gen_key_command(out_file, kid);
  if (*check) return check_config_command(config_file);
  const auto config = load_or_report(config_file);
  if (!config) return kExitBadConfig;
  if (*migrate) return migrate_command(*config);
  if (*mint_token) return mint_token_command(*config, mint);
  if (*rotate_keys) return rotate_keys_command(*config, rotation_batch);
  return serve_command(*config);
}

}  // namespace oauth_manager::cli
