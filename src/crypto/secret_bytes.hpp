#pragma once

#include <openssl/crypto.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace oauth_manager::crypto {

// Key material (a data key, an HMAC secret) whose bytes are wiped with OPENSSL_cleanse before
// their memory goes back to the allocator, at destruction and when assignment replaces them:
// freed heap keeps its old contents, readable in a core dump or through a later memory bug.
// The bytes live in a vector, not a std::string: a short string keeps them inside the object,
// and moving it copies them and leaves the source's copy behind. `Allocator` lets a test see
// what each freed buffer still held.
template <typename Allocator = std::allocator<char>>
class BasicSecretBytes {
 public:
  BasicSecretBytes() = default;
  explicit BasicSecretBytes(std::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}
  // Takes the bytes of a string that held them on the way in (a decoded key, a file's
  // contents) and wipes that string, which would otherwise free them unwiped.
  static BasicSecretBytes take(std::string&& source) {
    BasicSecretBytes secret(source);
    OPENSSL_cleanse(source.data(), source.capacity());
    source.clear();
    return secret;
  }

  BasicSecretBytes(const BasicSecretBytes&) = default;
  // A moved-from vector owns no buffer any more: the bytes exist once, in the new object.
  BasicSecretBytes(BasicSecretBytes&&) noexcept = default;
  // By value and swapped: the bytes being replaced end up in `other`, which wipes them.
  BasicSecretBytes& operator=(BasicSecretBytes other) noexcept {
    bytes_.swap(other.bytes_);
    return *this;
  }
  ~BasicSecretBytes() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

  std::string_view view() const { return {bytes_.data(), bytes_.size()}; }
  std::size_t size() const { return bytes_.size(); }

 private:
  std::vector<char, Allocator> bytes_;
};

using SecretBytes = BasicSecretBytes<>;

}  // namespace oauth_manager::crypto
