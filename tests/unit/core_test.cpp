#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/integration.hpp"
#include "core/scopes.hpp"
#include "store/audit_chain.hpp"
#include "store/embedded_migrations.hpp"

namespace oauth_manager {
namespace {

TEST(Clock, FormatsRfc3339InUtcWithMilliseconds) {
  EXPECT_EQ(core::to_rfc3339(core::from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(core::to_rfc3339(core::from_unix_ms(1'795'000'000'123)), "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(core::to_unix_ms(core::from_unix_ms(-1)), -1);
  EXPECT_EQ(core::to_rfc3339(core::from_unix_ms(-1)), "1969-12-31T23:59:59.999Z");
}

TEST(Scopes, SplitAndJoinAreInverse) {
  const std::vector<std::string> scopes = {"openid", "https://www.googleapis.com/auth/calendar"};
  EXPECT_EQ(core::split_scopes(core::join_scopes(scopes)), scopes);
  EXPECT_EQ(core::split_scopes("  a   b "), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(core::split_scopes("").empty());
  EXPECT_EQ(core::join_scopes({}), "");
}

TEST(IntegrationStatus, NamesRoundTrip) {
  for (auto status : {core::IntegrationStatus::active, core::IntegrationStatus::needs_reauth,
                      core::IntegrationStatus::revoked}) {
    EXPECT_EQ(core::parse_status(core::status_name(status)), status);
  }
  EXPECT_FALSE(core::parse_status("deleted"));
}

TEST(Migrations, EveryBackendHasTheSameNumberedSequence) {
  std::map<std::string_view, std::vector<int>> versions;
  for (const auto& migration : store::embedded_migrations()) {
    versions[migration.backend].push_back(migration.version);
    EXPECT_FALSE(migration.sql.empty());
  }
  ASSERT_EQ(versions.size(), 2U);
  ASSERT_TRUE(versions.count("sqlite") && versions.count("postgres"));
  EXPECT_EQ(versions["sqlite"], versions["postgres"]);
  for (std::size_t i = 0; i < versions["sqlite"].size(); ++i) {
    EXPECT_EQ(versions["sqlite"][i], static_cast<int>(i) + 1);
  }
}

TEST(AuditChain, HashCoversEveryFieldAndThePreviousHash) {
  core::AuditEvent event;
  event.id = "e1";
  event.occurred_at = core::from_unix_ms(1000);
  event.actor = "service:a";
  event.event = "token.read";
  event.user_id = "u1";
  event.outcome = "success";
  event.details = "{}";
  const auto base = store::chain_hash(store::kGenesisHash, event);
  EXPECT_EQ(base.size(), 64U);
  EXPECT_EQ(base, store::chain_hash(store::kGenesisHash, event));
  EXPECT_NE(base, store::chain_hash(std::string(64, '1'), event));
  auto changed = event;
  changed.outcome = "denied";
  EXPECT_NE(base, store::chain_hash(store::kGenesisHash, changed));
  changed = event;
  changed.user_id = std::nullopt;
  EXPECT_NE(base, store::chain_hash(store::kGenesisHash, changed));
  changed = event;
  changed.occurred_at = core::from_unix_ms(1001);
  EXPECT_NE(base, store::chain_hash(store::kGenesisHash, changed));
  changed = event;
  changed.seq = 99;  // assigned by the store, not part of the content
  EXPECT_EQ(base, store::chain_hash(store::kGenesisHash, changed));
}

}  // namespace
}  // namespace oauth_manager
