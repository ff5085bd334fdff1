#include "crypto/keyring.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace oauth_manager::crypto {
namespace {

constexpr char kVersion = 0x01;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// Fetched once: EVP_aes_256_gcm() makes OpenSSL 3 look the implementation up in its provider
// tables on every EVP_*Init_ex, which cost more than the decryption of a token.
const EVP_CIPHER* aes_256_gcm() {
  static const EVP_CIPHER* const cipher = [] {
    EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (fetched == nullptr) throw std::runtime_error("AES-256-GCM is not available");
    return fetched;  // kept for the life of the process
  }();
  return cipher;
}

CipherContext new_context() {
  CipherContext context(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!context) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return context;
}

// One context per thread and direction, set up for AES-256-GCM and our nonce length once; each
// use gives it the key and nonce anew (OpenSSL's documented way to reuse a context), which
// spares the allocation and set-up of a context per token (open 1.9 -> 1.0 us with the fetch
// above, bench/token_vault_bench.cpp). A key's schedule stays in a thread's context until its
// next use; the keyring holds the key itself for as long anyway.
EVP_CIPHER_CTX* gcm_context(int encrypting) {
  const auto prepared = [](int enc) {
    auto context = new_context();
    if (EVP_CipherInit_ex(context.get(), aes_256_gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1) {
      throw std::runtime_error("AES-256-GCM cannot be set up");
    }
    return context;
  };
  thread_local const CipherContext encrypt = prepared(1);
  thread_local const CipherContext decrypt = prepared(0);
  return encrypting != 0 ? encrypt.get() : decrypt.get();
}

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

core::Error undecryptable(std::string message) {
  return core::make_error(core::Code::internal, std::move(message));
}

struct ParsedEnvelope {
  std::string_view kid;
  std::string_view nonce;
  std::string_view ciphertext;
  std::string_view tag;
};

core::Result<ParsedEnvelope> parse_envelope(std::string_view envelope) {
  if (envelope.size() < 2 || envelope[0] != kVersion) {
    return undecryptable("the stored ciphertext is not an oauth-manager envelope");
  }
  const auto kid_length = static_cast<unsigned char>(envelope[1]);
  if (envelope.size() < 2 + kid_length + kNonceBytes + kTagBytes) {
    return undecryptable("the stored ciphertext is truncated");
  }
  ParsedEnvelope parsed;
  parsed.kid = envelope.substr(2, kid_length);
  parsed.nonce = envelope.substr(2 + kid_length, kNonceBytes);
  const auto body = envelope.substr(2 + kid_length + kNonceBytes);
  parsed.ciphertext = body.substr(0, body.size() - kTagBytes);
  parsed.tag = body.substr(body.size() - kTagBytes);
  return parsed;
}

}  // namespace

Keyring::Keyring(std::vector<DataKey> keys, core::RandomSource& random)
    : keys_(std::move(keys)), random_(random) {
  if (keys_.empty()) throw std::invalid_argument("a keyring needs at least one key");
}

const DataKey* Keyring::find(std::string_view kid) const {
  for (const auto& key : keys_) {
    if (key.id == kid) return &key;
  }
  return nullptr;
}

std::string Keyring::encrypt(std::string_view plaintext, std::string_view associated_data) const {
  const auto& key = keys_.front();
  const auto nonce = random_.bytes(kNonceBytes);
  std::string ciphertext(plaintext.size(), '\0');
  std::string tag(kTagBytes, '\0');
  auto* context = gcm_context(1);
  int length = 0;
  int ok = EVP_EncryptInit_ex(context, nullptr, nullptr, bytes(key.secret.view()), bytes(nonce));
  ok &= EVP_EncryptUpdate(context, nullptr, &length, bytes(associated_data),
                          static_cast<int>(associated_data.size()));
  ok &= EVP_EncryptUpdate(context, reinterpret_cast<unsigned char*>(ciphertext.data()), &length,
                          bytes(plaintext), static_cast<int>(plaintext.size()));
  ok &= EVP_EncryptFinal_ex(context, nullptr, &length);
  ok &= EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, kTagBytes, tag.data());
  if (ok != 1) throw std::runtime_error("AES-256-GCM encryption failed");

  std::string envelope;
  envelope.reserve(2 + key.id.size() + kNonceBytes + ciphertext.size() + kTagBytes);
  envelope += kVersion;
  envelope += static_cast<char>(key.id.size());
  envelope += key.id;
  envelope += nonce;
  envelope += ciphertext;
  envelope += tag;
  return envelope;
}

core::Result<std::string> Keyring::decrypt(std::string_view envelope,
                                           std::string_view associated_data) const {
  auto parsed = parse_envelope(envelope);
  if (!parsed) return parsed.error();
  const auto* key = find(parsed->kid);
  if (key == nullptr) {
    return undecryptable(fmt::format(
        "the data key \"{}\" that sealed this value is not loaded; add it to [crypto] keys "
        "(keys_file) until `rotate-keys` has re-encrypted everything",
        parsed->kid));
  }
  std::string plaintext(parsed->ciphertext.size(), '\0');
  std::string tag(parsed->tag);
  auto* context = gcm_context(0);
  int length = 0;
  int ok = EVP_DecryptInit_ex(context, nullptr, nullptr, bytes(key->secret.view()),
                              bytes(parsed->nonce));
  ok &= EVP_DecryptUpdate(context, nullptr, &length, bytes(associated_data),
                          static_cast<int>(associated_data.size()));
  ok &= EVP_DecryptUpdate(context, reinterpret_cast<unsigned char*>(plaintext.data()), &length,
                          bytes(parsed->ciphertext), static_cast<int>(parsed->ciphertext.size()));
  ok &= EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data());
  if (ok != 1 || EVP_DecryptFinal_ex(context, nullptr, &length) != 1) {
    return undecryptable(
        "a stored ciphertext failed authentication (tampered, or moved to another row or field)");
  }
  return plaintext;
}

core::Result<std::string> Keyring::key_id_of(std::string_view envelope) {
  auto parsed = parse_envelope(envelope);
  if (!parsed) return parsed.error();
  return std::string(parsed->kid);
}

}  // namespace oauth_manager::crypto
