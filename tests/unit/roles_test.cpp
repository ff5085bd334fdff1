#include <gtest/gtest.h>

#include "auth/roles.hpp"

namespace oauth_manager {
namespace {

TEST(Roles, ClaimsMapToPermissions) {
  const auto roles = auth::default_roles();
  const auth::PermissionClaims by_roles{"roles", std::nullopt};
  const auto user = auth::caller_from_claims({{"sub", "u"}, {"roles", {"user"}}}, by_roles, roles);
  EXPECT_TRUE(user.can(core::Permission::integrations_write));
  EXPECT_FALSE(user.can(core::Permission::tokens_read));
  EXPECT_TRUE(user.may_act_for("u"));
  EXPECT_FALSE(user.may_act_for("v"));

  const auto service =
      auth::caller_from_claims({{"sub", "s"}, {"groups", "service"}}, {"groups", {}}, roles);
  EXPECT_TRUE(service.can(core::Permission::tokens_read));
  EXPECT_TRUE(service.may_act_for("anyone"));
  EXPECT_FALSE(service.can(core::Permission::audit_read));

  const auth::PermissionClaims prefixed{"roles", "oauth-manager:"};
  const auto scoped = auth::caller_from_claims(
      {{"sub", "x"}, {"scope", "oauth-manager:audit:read openid oauth-manager:admin-ish"}},
      prefixed, roles);
  EXPECT_TRUE(scoped.can(core::Permission::audit_read));
  EXPECT_FALSE(scoped.can(core::Permission::integrations_read));

  const auto admin =
      auth::caller_from_claims({{"sub", "a"}, {"roles", {"admin"}}}, by_roles, roles);
  EXPECT_TRUE(admin.can(core::Permission::tokens_read));
  EXPECT_TRUE(admin.may_act_for("anyone"));
}

// Another API's access token says "admin" or "tokens:read" in its scope: that must grant
// nothing here, with or without a prefix configured.
TEST(Roles, UnprefixedScopeWordsGrantNothing) {
  const auto roles = auth::default_roles();
  const nlohmann::json claims = {{"sub", "x"}, {"scope", "admin tokens:read users:any"}};
  for (const auto& where : {auth::PermissionClaims{"roles", std::nullopt},
                            auth::PermissionClaims{"roles", "oauth-manager:"}}) {
    const auto caller = auth::caller_from_claims(claims, where, roles);
    EXPECT_FALSE(caller.can(core::Permission::tokens_read));
    EXPECT_FALSE(caller.can(core::Permission::admin));
    EXPECT_FALSE(caller.may_act_for("anyone"));
  }
}

}  // namespace
}  // namespace oauth_manager
