#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/audit_coalescing.hpp"

namespace oauth_manager {
namespace {

core::AuditEvent read_at(const std::string& actor, const std::string& integration,
                         std::int64_t unix_ms, const std::string& request_id) {
  core::AuditEvent event;
  event.id = request_id + "-id";
  event.occurred_at = core::from_unix_ms(unix_ms);
  event.actor = actor;
  event.event = "token.read";
  event.user_id = "alice";
  event.integration_id = integration;
  event.outcome = "ok";
  event.request_id = request_id;
  event.ip = "127.0.0.1";
  return event;
}

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kStart = 1'790'000'040'000 - 1'790'000'040'000 % kMinute;

TEST(AuditCoalescing, ReadsOfOneCallerAndIntegrationInOneMinuteBecomeOneCountedRow) {
  const auto coalesced = events::coalesce_audit_events({
      read_at("sub:a", "int-1", kStart + 1000, "r1"),
      read_at("sub:a", "int-1", kStart + 2000, "r2"),
      read_at("sub:a", "int-1", kStart + 59'000, "r3"),
  });
  ASSERT_EQ(coalesced.size(), 1U);
  const auto details = nlohmann::json::parse(coalesced[0].details);
  EXPECT_EQ(details["count"], 3);
  EXPECT_EQ(details["first_at"], core::to_rfc3339(core::from_unix_ms(kStart + 1000)));
  EXPECT_EQ(details["last_at"], core::to_rfc3339(core::from_unix_ms(kStart + 59'000)));
  EXPECT_EQ(details["request_ids"], nlohmann::json({"r1", "r2", "r3"}));
  EXPECT_EQ(coalesced[0].id, "r1-id");
  EXPECT_EQ(coalesced[0].occurred_at, core::from_unix_ms(kStart + 1000));
}

TEST(AuditCoalescing, OtherCallersIntegrationsOutcomesAndMinutesStayApartInOrder) {
  auto refused = read_at("sub:a", "int-1", kStart + 3000, "r4");
  refused.outcome = "needs_reauth";
  const auto coalesced = events::coalesce_audit_events({
      read_at("sub:a", "int-1", kStart + 1000, "r1"),
      read_at("sub:b", "int-1", kStart + 1000, "r2"),
      read_at("sub:a", "int-2", kStart + 2000, "r3"),
      refused,
      read_at("sub:a", "int-1", kStart + kMinute, "r5"),
      read_at("sub:a", "int-1", kStart + 4000, "r6"),
  });
  ASSERT_EQ(coalesced.size(), 5U);
  EXPECT_EQ(coalesced[0].request_id, std::nullopt) << "r1 and r6 merged";
  EXPECT_EQ(nlohmann::json::parse(coalesced[0].details)["count"], 2);
  EXPECT_EQ(coalesced[1].request_id, "r2");
  EXPECT_EQ(coalesced[1].details, "{}") << "a group of one is left as it was";
  EXPECT_EQ(coalesced[2].request_id, "r3");
  EXPECT_EQ(coalesced[3].request_id, "r4");
  EXPECT_EQ(coalesced[4].request_id, "r5");
}

TEST(AuditCoalescing, RequestIdsAreCappedButTheCountIsNot) {
  std::vector<core::AuditEvent> reads;
  for (int i = 0; i < 50; ++i) reads.push_back(read_at("sub:a", "int-1", kStart + i, "r"));
  const auto coalesced = events::coalesce_audit_events(std::move(reads));
  ASSERT_EQ(coalesced.size(), 1U);
  const auto details = nlohmann::json::parse(coalesced[0].details);
  EXPECT_EQ(details["count"], 50);
  EXPECT_EQ(details["request_ids"].size(), events::kMaxRequestIds);
}

}  // namespace
}  // namespace oauth_manager
