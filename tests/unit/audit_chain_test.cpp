#include <gtest/gtest.h>

#include "store/audit_chain.hpp"

namespace oauth_manager {
namespace {

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
