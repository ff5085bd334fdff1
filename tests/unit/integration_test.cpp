#include <gtest/gtest.h>

#include "core/integration.hpp"

namespace oauth_manager {
namespace {

TEST(IntegrationStatus, NamesRoundTrip) {
  for (auto status : {core::IntegrationStatus::active, core::IntegrationStatus::needs_reauth,
                      core::IntegrationStatus::revoked}) {
    EXPECT_EQ(core::parse_status(core::status_name(status)), status);
  }
  EXPECT_FALSE(core::parse_status("deleted"));
}

}  // namespace
}  // namespace oauth_manager
