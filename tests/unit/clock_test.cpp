#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace oauth_manager {
namespace {

TEST(Clock, FormatsRfc3339InUtcWithMilliseconds) {
  EXPECT_EQ(core::to_rfc3339(core::from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(core::to_rfc3339(core::from_unix_ms(1'795'000'000'123)), "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(core::to_unix_ms(core::from_unix_ms(-1)), -1);
  EXPECT_EQ(core::to_rfc3339(core::from_unix_ms(-1)), "1969-12-31T23:59:59.999Z");
}

TEST(Rfc3339, ParsesOffsetsAndFractionsAndRejectsNonsense) {
  EXPECT_EQ(core::parse_rfc3339("2026-11-24T10:00:00Z"),
            core::parse_rfc3339("2026-11-24T11:00:00+01:00"));
  const auto precise = core::parse_rfc3339("2026-11-24T10:00:00.123456Z");
  ASSERT_TRUE(precise);
  EXPECT_EQ(core::to_rfc3339(*precise), "2026-11-24T10:00:00.123Z");
  EXPECT_EQ(core::to_unix_ms(*core::parse_rfc3339("1970-01-01T00:00:01Z")), 1000);
  for (const auto* bad :
       {"2026-02-30T00:00:00Z", "2026-11-24", "2026-11-24T10:00:00", "2026-11-24T25:00:00Z",
        "2026-11-24T10:00:00.Z", "yesterday", "2026-11-24T10:00:00Zjunk"}) {
    EXPECT_FALSE(core::parse_rfc3339(bad)) << bad;
  }
}

}  // namespace
}  // namespace oauth_manager
