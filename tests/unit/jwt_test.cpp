#include "crypto/jwt.hpp"

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "support/manual_clock.hpp"
#include "support/signing_keys.hpp"

namespace oauth_manager::crypto {
namespace {

using testing::ManualClock;
using testing::SigningKey;

const std::string kSecret = "a-jwt-unit-test-secret-with-32-bytes-or-more";

class JwtTest : public ::testing::Test {
 protected:
  nlohmann::json claims(const nlohmann::json& extra = nlohmann::json::object()) const {
    nlohmann::json base = {{"sub", "user-1"},
                           {"iat", clock_.unix_seconds()},
                           {"exp", clock_.unix_seconds() + 300},
                           {"iss", "https://app.example"},
                           {"aud", "oauth-manager"}};
    base.update(extra);
    return base;
  }

  ClaimRules rules() const {
    return ClaimRules{"https://app.example", "oauth-manager", std::chrono::seconds(30)};
  }

  // Decodes and verifies; the error message when rejected, "" when accepted.
  std::string rejection(const std::string& token, const std::vector<VerificationKey>& keys) {
    auto decoded = decode_jwt(token);
    if (!decoded) {
      EXPECT_EQ(decoded.error().code, core::Code::unauthenticated);
      return decoded.error().message;
    }
    auto verified = verify_jwt(*decoded, keys, rules(), clock_.now());
    if (!verified) {
      EXPECT_EQ(verified.error().code, core::Code::unauthenticated);
      return verified.error().message;
    }
    return "";
  }

  std::vector<VerificationKey> hmac_keys() const { return {*VerificationKey::hmac(kSecret)}; }

  ManualClock clock_;
};

TEST_F(JwtTest, AcceptsAValidHs256Token) {
  const auto token = testing::sign_hs256(claims(), kSecret);
  auto decoded = decode_jwt(token);
  ASSERT_TRUE(decoded);
  auto verified = verify_jwt(*decoded, hmac_keys(), rules(), clock_.now());
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ((*verified)["sub"], "user-1");
}

TEST_F(JwtTest, AcceptsRs256AndEs256WithTheirPublicKeys) {
  for (const auto& key : {SigningKey::rsa(), SigningKey::ec_p256()}) {
    const auto verifier = VerificationKey::from_pem(key.public_pem());
    ASSERT_TRUE(verifier) << verifier.error().message;
    EXPECT_EQ(rejection(key.sign(claims()), {*verifier}), "") << key.algorithm();
  }
}

TEST_F(JwtTest, RejectsAnExpiredToken) {
  const auto token = testing::sign_hs256(claims({{"exp", clock_.unix_seconds() - 31}}), kSecret);
  EXPECT_EQ(rejection(token, hmac_keys()), "the token has expired");
}

TEST_F(JwtTest, ToleratesClockSkewWithinTheLeeway) {
  const auto token = testing::sign_hs256(claims({{"exp", clock_.unix_seconds() - 20}}), kSecret);
  EXPECT_EQ(rejection(token, hmac_keys()), "");
}

TEST_F(JwtTest, RejectsATokenWithoutExp) {
  auto without = claims();
  without.erase("exp");
  EXPECT_NE(rejection(testing::sign_hs256(without, kSecret), hmac_keys()).find("no exp"),
            std::string::npos);
}

TEST_F(JwtTest, RejectsATokenNotValidYet) {
  const auto token = testing::sign_hs256(claims({{"nbf", clock_.unix_seconds() + 60}}), kSecret);
  EXPECT_EQ(rejection(token, hmac_keys()), "the token is not valid yet (nbf)");
}

TEST_F(JwtTest, RejectsATokenIssuedInTheFuture) {
  const auto token = testing::sign_hs256(claims({{"iat", clock_.unix_seconds() + 120}}), kSecret);
  EXPECT_EQ(rejection(token, hmac_keys()), "the token was issued in the future (iat)");
}

TEST_F(JwtTest, RejectsTheWrongIssuer) {
  const auto token = testing::sign_hs256(claims({{"iss", "https://evil.example"}}), kSecret);
  EXPECT_EQ(rejection(token, hmac_keys()), "the token's issuer (iss) is not the configured one");
}

TEST_F(JwtTest, RejectsTheWrongAudienceAndAcceptsOneInAList) {
  const auto wrong = testing::sign_hs256(claims({{"aud", "another-service"}}), kSecret);
  EXPECT_EQ(rejection(wrong, hmac_keys()),
            "the token's audience (aud) does not include this service");
  const auto listed =
      testing::sign_hs256(claims({{"aud", {"another-service", "oauth-manager"}}}), kSecret);
  EXPECT_EQ(rejection(listed, hmac_keys()), "");
}

TEST_F(JwtTest, RejectsAMissingOrEmptySub) {
  auto without = claims();
  without.erase("sub");
  EXPECT_EQ(rejection(testing::sign_hs256(without, kSecret), hmac_keys()),
            "the token has no sub claim naming the user");
  EXPECT_EQ(rejection(testing::sign_hs256(claims({{"sub", ""}}), kSecret), hmac_keys()),
            "the token has no sub claim naming the user");
}

TEST_F(JwtTest, RejectsAlgNone) {
  const auto token = testing::assemble_jws({{"alg", "none"}}, claims(), "");
  EXPECT_NE(rejection(token + "", hmac_keys()).find("\"none\" is not accepted"), std::string::npos);
  // Also with the signature part dropped entirely.
  const auto unsigned_token = token.substr(0, token.rfind('.') + 1);
  EXPECT_NE(rejection(unsigned_token, hmac_keys()).find("not accepted"), std::string::npos);
}

TEST_F(JwtTest, RejectsHs256SignedWithTheRsaPublicKeyAsSecret) {
  // The classic algorithm-confusion attack: the public key is public, so an attacker can HMAC
  // with it. Our RSA key only ever verifies RS256.
  const auto rsa = SigningKey::rsa();
  const auto forged = testing::sign_hs256(claims(), rsa.public_pem());
  const auto verifier = VerificationKey::from_pem(rsa.public_pem());
  ASSERT_TRUE(verifier);
  EXPECT_EQ(rejection(forged, {*verifier}),
            "the token is signed with HS256, which the configured keys do not use");
}

TEST_F(JwtTest, RejectsAnUnknownKid) {
  const auto known = SigningKey::rsa("known");
  const auto other = SigningKey::rsa("other");
  auto verifier = VerificationKey::from_jwk(known.public_jwk());
  ASSERT_TRUE(verifier) << verifier.error().message;
  EXPECT_EQ(rejection(other.sign(claims()), {*verifier}),
            "the token's signing key (kid) is unknown");
}

TEST_F(JwtTest, RejectsATamperedPayload) {
  const auto token = testing::sign_hs256(claims(), kSecret);
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  const auto admin = crypto::base64url_encode(claims({{"roles", {"admin"}}}).dump());
  const auto tampered = token.substr(0, first_dot + 1) + admin + token.substr(second_dot);
  EXPECT_EQ(rejection(tampered, hmac_keys()), "the token's signature is invalid");
}

TEST_F(JwtTest, RejectsASignatureByAnotherKey) {
  const auto token = testing::sign_hs256(claims(), "another-secret-that-is-also-32-bytes-long");
  EXPECT_EQ(rejection(token, hmac_keys()), "the token's signature is invalid");
  const auto ec = SigningKey::ec_p256();
  const auto other_ec = VerificationKey::from_pem(SigningKey::ec_p256().public_pem());
  ASSERT_TRUE(other_ec);
  EXPECT_EQ(rejection(ec.sign(claims()), {*other_ec}), "the token's signature is invalid");
}

TEST_F(JwtTest, RejectsBadBase64AndMalformedStructure) {
  const auto token = testing::sign_hs256(claims(), kSecret);
  const auto bad_base64 = "!!!" + token.substr(3);
  EXPECT_EQ(rejection(bad_base64, hmac_keys()),
            "the token's parts are not base64url-encoded JSON objects");
  EXPECT_NE(rejection("only.two", hmac_keys()).find("compact form"), std::string::npos);
  EXPECT_NE(rejection(token + ".extra", hmac_keys()).find("compact form"), std::string::npos);
  const auto not_json = crypto::base64url_encode("{\"alg\":\"HS256\"}") + "." +
                        crypto::base64url_encode("not json") + ".c2ln";
  EXPECT_EQ(rejection(not_json, hmac_keys()),
            "the token's parts are not base64url-encoded JSON objects");
}

TEST_F(JwtTest, RejectsAnOversizedTokenBeforeDecodingIt) {
  const auto token = testing::sign_hs256(claims({{"padding", std::string(10000, 'x')}}), kSecret);
  EXPECT_EQ(rejection(token, hmac_keys()), "the token is longer than 8192 bytes");
}

TEST_F(JwtTest, RejectsCriticalHeaderExtensions) {
  const auto token = testing::sign_hs256(claims(), kSecret, {{"crit", {"exp"}}});
  EXPECT_EQ(rejection(token, hmac_keys()), "the token uses critical header extensions");
}

TEST_F(JwtTest, RejectsAnEs256SignatureInDerForm) {
  // OpenSSL's native DER signature is not a valid JWS ES256 signature (RFC 7518 §3.4).
  const auto ec = SigningKey::ec_p256();
  const auto token = ec.sign(claims());
  const auto verifier = VerificationKey::from_pem(ec.public_pem());
  ASSERT_TRUE(verifier);
  const auto signing_input = token.substr(0, token.rfind('.'));
  const auto wrong = signing_input + "." + crypto::base64url_encode(std::string(72, '\x30'));
  EXPECT_EQ(rejection(wrong, {*verifier}), "the token's signature is invalid");
}

// exp far in the future once went double -> int64 unchecked (undefined behaviour); absurd and
// non-finite NumericDates are refused by name.
TEST_F(JwtTest, RejectsAbsurdNumericDates) {
  for (const nlohmann::json& exp : {nlohmann::json(1e300), nlohmann::json(9.3e18),
                                    nlohmann::json(-1), nlohmann::json(253402300800LL)}) {
    const auto token = testing::sign_hs256(claims({{"exp", exp}}), kSecret);
    EXPECT_EQ(rejection(token, hmac_keys()), "exp is not a valid NumericDate") << exp.dump();
  }
  const auto nbf = testing::sign_hs256(claims({{"nbf", 1e300}}), kSecret);
  EXPECT_EQ(rejection(nbf, hmac_keys()), "nbf is not a valid NumericDate");
  const auto iat = testing::sign_hs256(claims({{"iat", -5}}), kSecret);
  EXPECT_EQ(rejection(iat, hmac_keys()), "iat is not a valid NumericDate");
  const auto fractional = testing::sign_hs256(
      claims({{"exp", static_cast<double>(clock_.unix_seconds()) + 60.5}}), kSecret);
  EXPECT_EQ(rejection(fractional, hmac_keys()), "");
}

// Whatever leeway is configured, a token more than 300 s past its exp is expired.
TEST_F(JwtTest, LeewayIsCappedAtFiveMinutes) {
  const auto token = testing::sign_hs256(claims({{"exp", clock_.unix_seconds() - 301}}), kSecret);
  auto decoded = decode_jwt(token);
  ASSERT_TRUE(decoded);
  auto generous = rules();
  generous.leeway = std::chrono::hours(24);
  auto verified = verify_jwt(*decoded, hmac_keys(), generous, clock_.now());
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().message, "the token has expired");
}

// A JWT of another kind signed by the same key (a logout token, a DPoP proof, an id_token
// typed for another purpose) is not a caller's access token: an explicit typ must be allowed.
TEST_F(JwtTest, RejectsATypeThatIsNotAllowed) {
  for (const std::string typ : {"logout+jwt", "dpop+jwt", "secevent+jwt"}) {
    const auto token = testing::sign_hs256(claims(), kSecret, {{"typ", typ}});
    EXPECT_EQ(rejection(token, hmac_keys()), "the token's type (typ) is not accepted here") << typ;
  }
  for (const std::string typ : {"JWT", "jwt", "at+jwt", "application/at+jwt"}) {
    const auto token = testing::sign_hs256(claims(), kSecret, {{"typ", typ}});
    EXPECT_EQ(rejection(token, hmac_keys()), "") << typ;
  }
  nlohmann::json header = {{"alg", "HS256"}};
  const auto untyped = testing::assemble_jws(header, claims(), "");
  auto decoded = decode_jwt(untyped);
  ASSERT_TRUE(decoded);
  EXPECT_FALSE(decoded->type) << "no typ header is fine";
}

// An all-zero ES256 signature (r = s = 0) must never verify (the "psychic signatures" class of
// bug, CVE-2022-21449): ECDSA requires 0 < r, s < n.
TEST_F(JwtTest, RejectsAnAllZeroEs256Signature) {
  const auto ec = SigningKey::ec_p256();
  const auto verifier = VerificationKey::from_pem(ec.public_pem());
  ASSERT_TRUE(verifier);
  const auto token = ec.sign(claims());
  const auto signing_input = token.substr(0, token.rfind('.'));
  const auto zero = signing_input + "." + crypto::base64url_encode(std::string(64, '\0'));
  EXPECT_EQ(rejection(zero, {*verifier}), "the token's signature is invalid");
}

TEST_F(JwtTest, MessagesNeverRepeatTheToken) {
  const auto token = testing::sign_hs256(claims({{"exp", clock_.unix_seconds() - 100}}), kSecret);
  const auto message = rejection(token, hmac_keys());
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(message.find(token.substr(token.rfind('.') + 1)), std::string::npos);
  EXPECT_EQ(message.find(token.substr(0, 20)), std::string::npos);
}

TEST(VerificationKey, RefusesWeakKeys) {
  EXPECT_FALSE(VerificationKey::hmac("short"));
  const auto small_rsa = SigningKey::rsa("", 1024);
  EXPECT_FALSE(VerificationKey::from_pem(small_rsa.public_pem()));
  EXPECT_FALSE(
      VerificationKey::from_pem("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"));
}

TEST(VerificationKey, JwksSkipsUnusableKeysButNeedsOne) {
  const auto rsa = SigningKey::rsa("r1");
  auto encryption = SigningKey::ec_p256("e1").public_jwk();
  encryption["use"] = "enc";
  const auto parsed = parse_jwks(
      testing::jwks_document({rsa.public_jwk(), encryption, {{"kty", "oct"}, {"k", "c2VjcmV0"}}}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1U);
  EXPECT_EQ((*parsed)[0].key_id(), "r1");
  EXPECT_FALSE(parse_jwks(testing::jwks_document({encryption})));
  EXPECT_FALSE(parse_jwks("not json"));
}

}  // namespace
}  // namespace oauth_manager::crypto
