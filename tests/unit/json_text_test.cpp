// core::append_json_string, which writes the token hand-out's answer and every log line field by
// field: whatever the text, the result is one valid JSON string that reads back as the text (or
// as its UTF-8-repaired form), and a credential that is not UTF-8 is refused, not altered.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "core/json_text.hpp"

namespace oauth_manager {
namespace {

std::string literal(std::string_view text, core::InvalidUtf8 invalid = core::InvalidUtf8::replace) {
  std::string out = "prefix:";
  core::append_json_string(out, text, invalid);
  EXPECT_EQ(out.rfind("prefix:", 0), 0U) << "appends, never overwrites";
  return out.substr(7);
}

TEST(JsonText, PlainAsciiGoesBetweenQuotesAsItIs) {
  EXPECT_EQ(literal("ya29.a0-_~+/="), R"("ya29.a0-_~+/=")");
  EXPECT_EQ(literal(""), R"("")");
}

TEST(JsonText, QuotesBackslashesAndControlCharactersAreEscapedAndReadBack) {
  const std::string nasty = std::string("a\"b\\c\n\r\t\x01") + "\",\"admin\":true,\"x\":\"";
  const auto written = literal(nasty);
  const auto parsed = nlohmann::json::parse(written);
  ASSERT_TRUE(parsed.is_string()) << "one string, no injected members";
  EXPECT_EQ(parsed.get<std::string>(), nasty);
}

TEST(JsonText, ValidUtf8IsKept) {
  const std::string text = "Zoë 日本 🎉";
  EXPECT_EQ(nlohmann::json::parse(literal(text)).get<std::string>(), text);
}

TEST(JsonText, InvalidUtf8IsReplacedForLogsAndRefusedForCredentials) {
  const std::string broken =
      "tok\xff\xfe"
      "en";
  const auto repaired = nlohmann::json::parse(literal(broken)).get<std::string>();
  EXPECT_EQ(repaired,
            "tok\xEF\xBF\xBD\xEF\xBF\xBD"
            "en")
      << "U+FFFD for each bad byte";
  try {
    literal(broken, core::InvalidUtf8::reject);
    FAIL() << "an invalid credential must not be written";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()).find("tok"), std::string::npos)
        << "the message says nothing of the text";
  }
}

}  // namespace
}  // namespace oauth_manager
