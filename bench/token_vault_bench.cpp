// What keeping tokens encrypted costs per token read: sealing a token set (two AES-256-GCM
// encryptions with fresh nonces) and opening it again.
#include <benchmark/benchmark.h>

#include "crypto/key_material.hpp"
#include "crypto/openssl_random.hpp"
#include "manager/token_vault.hpp"

namespace oauth_manager {
namespace {

constexpr const char* kKey = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

manager::TokenSet google_like_tokens() {
  manager::TokenSet tokens;
  tokens.access_token = "ya29." + std::string(200, 'a');  // Google access tokens run ~220 bytes
  tokens.refresh_token = "1//" + std::string(100, 'r');
  return tokens;
}

void seal_token_set(benchmark::State& state) {
  crypto::OpenSslRandom random;
  const crypto::Keyring keyring({*crypto::parse_data_key(kKey)}, random);
  const manager::TokenVault vault(keyring);
  const auto tokens = google_like_tokens();
  const auto now = core::from_unix_ms(1'790'000'000'000);
  for (auto _ : state) benchmark::DoNotOptimize(vault.seal("integration-1", tokens, now));
}
BENCHMARK(seal_token_set);

void open_token_set(benchmark::State& state) {
  crypto::OpenSslRandom random;
  const crypto::Keyring keyring({*crypto::parse_data_key(kKey)}, random);
  const manager::TokenVault vault(keyring);
  const auto sealed =
      vault.seal("integration-1", google_like_tokens(), core::from_unix_ms(1'790'000'000'000));
  for (auto _ : state) benchmark::DoNotOptimize(vault.open(sealed));
}
BENCHMARK(open_token_set);

}  // namespace
}  // namespace oauth_manager

BENCHMARK_MAIN();
