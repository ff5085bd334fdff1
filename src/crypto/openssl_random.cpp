#include "crypto/openssl_random.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace oauth_manager::crypto {

std::string OpenSslRandom::bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    // Without a working CSPRNG nothing we generate is safe: fail loudly.
    throw std::runtime_error("the system random generator failed");
  }
  return out;
}

}  // namespace oauth_manager::crypto
