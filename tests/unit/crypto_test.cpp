#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "core/ids.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/key_material.hpp"
#include "crypto/openssl_random.hpp"
#include "crypto/pkce.hpp"

namespace oauth_manager::crypto {
namespace {

TEST(Encoding, Base64RoundTripsAndIsStrict) {
  const std::string bytes("\x00\x01\xfe\xff hello", 10);
  EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_FALSE(base64_decode("Zm9vYg="));   // wrong length
  EXPECT_FALSE(base64_decode("Zm9v!g=="));  // outside the alphabet
  EXPECT_FALSE(base64_decode("Zm=vYg=="));  // padding in the middle
}

TEST(Encoding, Base64UrlHasNoPaddingAndRoundTrips) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), bytes);
  EXPECT_EQ(base64url_decode(base64url_encode("ab")), "ab");
  EXPECT_FALSE(base64url_decode("ab+/"));
  EXPECT_FALSE(base64url_decode("a"));
}

TEST(Hash, Sha256MatchesTheFips180Vector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abc").size(), 32U);
}

TEST(Hash, ConstantTimeEqualComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
}

TEST(Random, BytesHaveTheRequestedLengthAndDiffer) {
  OpenSslRandom random;
  const auto a = random.bytes(32);
  const auto b = random.bytes(32);
  EXPECT_EQ(a.size(), 32U);
  EXPECT_NE(a, b);
  EXPECT_TRUE(random.bytes(0).empty());
}

TEST(Ids, AreVersion4Uuids) {
  OpenSslRandom random;
  const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto id = core::new_id(random);
    EXPECT_TRUE(std::regex_match(id, uuid)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100U);
}

TEST(KeyMaterial, ParsesAValidKey) {
  auto key = parse_data_key("primary-2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->id, "primary-2026");
  EXPECT_EQ(key->secret.size(), kDataKeyBytes);
  EXPECT_EQ(static_cast<unsigned char>(key->secret.view()[31]), 31);
}

TEST(KeyMaterial, RejectsMalformedKeysWithoutEchoingThem) {
  for (const std::string bad : {"no-colon", ":AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                                "bad kid:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                                "k1:dG9vLXNob3J0", "k1:not base64!"}) {
    auto key = parse_data_key(bad);
    ASSERT_FALSE(key) << bad;
    const auto colon = bad.find(':');
    if (colon != std::string::npos && colon + 1 < bad.size()) {
      EXPECT_EQ(key.error().message.find(bad.substr(colon + 1)), std::string::npos);
    }
  }
}

TEST(KeyMaterial, KeysFileRejectsDuplicatesAndNamesTheLine) {
  auto parsed = parse_keys_file(
      "# keys\nk1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
      "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("line 3"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("twice"), std::string::npos);
}

TEST(KeyMaterial, GeneratedKeysParseAndDiffer) {
  OpenSslRandom random;
  const auto first = generate_key_spec(random, "a");
  const auto second = generate_key_spec(random, "a");
  EXPECT_NE(first, second);
  auto parsed = parse_data_key(first);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id, "a");
}

// RFC 7636 Appendix B: the verifier and S256 challenge of the specification's own example.
TEST(Pkce, TheRfc7636AppendixBExampleGivesItsChallenge) {
  EXPECT_EQ(crypto::pkce_s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

}  // namespace
}  // namespace oauth_manager::crypto
