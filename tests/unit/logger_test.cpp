// The JSON log line as a log store reads it: one object per line, the time in RFC 3339 with
// milliseconds, numbers that keep their type (a float that happens to be whole stays a float).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "log/logger.hpp"

namespace oauth_manager {
namespace {

std::string one_json_line(std::initializer_list<log::Field> fields) {
  log::configure("info", log::LogFormat::json);
  ::testing::internal::CaptureStderr();
  log::write_fields(log::Level::info, "test.event", fields);
  log::flush();
  return ::testing::internal::GetCapturedStderr();
}

TEST(Logger, AJsonLineCarriesItsFieldsWithTheirTypes) {
  const auto line = one_json_line({{"whole_ms", 2.0},
                                   {"ms", 0.359},
                                   {"count", std::int64_t{7}},
                                   {"path", std::string_view("/v1/\"tokens\"")}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_NE(line.find(R"("whole_ms":2.0,)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("count":7,)"), std::string::npos) << line;
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["event"], "test.event");
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_TRUE(parsed["whole_ms"].is_number_float());
  EXPECT_DOUBLE_EQ(parsed["ms"].get<double>(), 0.359);
  EXPECT_EQ(parsed["path"], "/v1/\"tokens\"");
  EXPECT_TRUE(std::regex_match(parsed["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << parsed["ts"];
}

}  // namespace
}  // namespace oauth_manager
