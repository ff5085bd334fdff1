#include "crypto/jws_algorithm.hpp"

namespace oauth_manager::crypto {

std::string_view algorithm_name(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::hs256:
      return "HS256";
    case JwsAlgorithm::rs256:
      return "RS256";
    case JwsAlgorithm::es256:
      return "ES256";
  }
  return "";
}

std::optional<JwsAlgorithm> parse_algorithm(std::string_view name) {
  for (auto algorithm : {JwsAlgorithm::hs256, JwsAlgorithm::rs256, JwsAlgorithm::es256}) {
    if (algorithm_name(algorithm) == name) return algorithm;
  }
  return std::nullopt;
}

}  // namespace oauth_manager::crypto
