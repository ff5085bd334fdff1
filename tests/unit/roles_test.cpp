#include <gtest/gtest.h>

#include "auth/roles.hpp"

namespace oauth_manager {
namespace {

TEST(Roles, ClaimsMapToPermissions) {
  const auto roles = auth::default_roles();
  const auto user = auth::caller_from_claims({{"sub", "u"}, {"roles", {"user"}}}, "roles", roles);
  EXPECT_TRUE(user.can(core::Permission::integrations_write));
  EXPECT_FALSE(user.can(core::Permission::tokens_read));
  EXPECT_TRUE(user.may_act_for("u"));
  EXPECT_FALSE(user.may_act_for("v"));

  const auto service =
      auth::caller_from_claims({{"sub", "s"}, {"groups", "service"}}, "groups", roles);
  EXPECT_TRUE(service.can(core::Permission::tokens_read));
  EXPECT_TRUE(service.may_act_for("anyone"));
  EXPECT_FALSE(service.can(core::Permission::audit_read));

  const auto scoped = auth::caller_from_claims(
      {{"sub", "x"}, {"scope", "audit:read openid admin-ish"}}, "roles", roles);
  EXPECT_TRUE(scoped.can(core::Permission::audit_read));
  EXPECT_FALSE(scoped.can(core::Permission::integrations_read));

  const auto admin = auth::caller_from_claims({{"sub", "a"}, {"roles", {"admin"}}}, "roles", roles);
  EXPECT_TRUE(admin.can(core::Permission::tokens_read));
  EXPECT_TRUE(admin.may_act_for("anyone"));
}

}  // namespace
}  // namespace oauth_manager
