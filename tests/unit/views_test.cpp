#include <gtest/gtest.h>

#include "api/views.hpp"

namespace oauth_manager {
namespace {

TEST(AuditCursor, RoundTripsAndRejectsForgeries) {
  EXPECT_EQ(api::parse_audit_cursor(api::audit_cursor(42)), 42);
  EXPECT_FALSE(api::parse_audit_cursor("42"));
  EXPECT_FALSE(api::parse_audit_cursor(""));
  EXPECT_FALSE(api::parse_audit_cursor(api::audit_cursor(-1)));
}

}  // namespace
}  // namespace oauth_manager
