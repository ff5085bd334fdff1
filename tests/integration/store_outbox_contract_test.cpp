// The Store contract for the outbox: every case runs against a SQLite file and a real PostgreSQL.
#include <algorithm>
#include <set>
#include <thread>

#include "store_contract.hpp"

namespace oauth_manager {
namespace {

using core::Code;
using core::from_unix_ms;
using testing::BackendNames;
using testing::Backends;
using testing::StoreContract;

const std::vector<std::string> kKinds = {"revocation", "webhook"};

template <typename Backend>
class OutboxContract : public StoreContract<Backend> {
 protected:
  static core::Timestamp t(std::int64_t ms) { return from_unix_ms(1'700'000'000'000 + ms); }

  core::OutboxJob job(const std::string& id, std::int64_t due_ms) {
    core::OutboxJob value;
    value.id = id;
    value.kind = "webhook";
    value.payload = R"({"type":"integration.revoked"})";
    value.created_at = t(0);
    value.due_at = t(due_ms);
    return value;
  }

  std::vector<std::string> claim(const std::string& owner, std::int64_t now_ms,
                                 std::int64_t lease_ms = 60'000, int limit = 10) {
    auto claimed =
        this->store_->claim_outbox(kKinds, owner, t(now_ms), t(now_ms + lease_ms), limit);
    EXPECT_TRUE(claimed) << claimed.error().message;
    std::vector<std::string> ids;
    for (const auto& claimed_job : *claimed) {
      EXPECT_EQ(claimed_job.lease_owner, owner);
      ids.push_back(claimed_job.id);
    }
    return ids;
  }
};
TYPED_TEST_SUITE(OutboxContract, Backends, BackendNames);

TYPED_TEST(OutboxContract, AJobIsClaimedWhenDueByOneOwnerAtATime) {
  ASSERT_TRUE(this->store_->enqueue_outbox(this->job("later", 5'000)));
  ASSERT_TRUE(this->store_->enqueue_outbox(this->job("now", 0)));
  EXPECT_EQ(*this->store_->count_outbox(), 2);

  EXPECT_EQ(this->claim("a", 1'000), std::vector<std::string>{"now"}) << "only what is due";
  EXPECT_TRUE(this->claim("b", 2'000).empty()) << "leased to a";
  // a died: its lease ends at 61 s, when b takes the job over; a's late finish is refused.
  EXPECT_EQ(this->claim("b", 61'000), (std::vector<std::string>{"now", "later"}));
  EXPECT_EQ(this->store_->finish_outbox("now", "a").error().code, Code::not_found);
  ASSERT_TRUE(this->store_->finish_outbox("now", "b"));
  EXPECT_EQ(*this->store_->count_outbox(), 1);
}

TYPED_TEST(OutboxContract, ARetryReleasesTheJobUntilItIsDueAgain) {
  ASSERT_TRUE(this->store_->enqueue_outbox(this->job("j", 0)));
  ASSERT_EQ(this->claim("a", 0).size(), 1U);
  EXPECT_EQ(this->store_->retry_outbox("j", "b", 1, this->t(9'000), "x").error().code,
            Code::not_found)
      << "only the holder releases it";
  ASSERT_TRUE(this->store_->retry_outbox("j", "a", 1, this->t(9'000), "HTTP 503"));
  EXPECT_EQ(**this->store_->next_outbox_time(kKinds), this->t(9'000));
  EXPECT_TRUE(this->claim("b", 8'999).empty());
  auto again = this->store_->claim_outbox(kKinds, "b", this->t(9'000), this->t(70'000), 10);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 1U);
  EXPECT_EQ((*again)[0].attempts, 1);
  EXPECT_EQ((*again)[0].last_error, "HTTP 503");
  EXPECT_EQ((*again)[0].payload, this->job("j", 0).payload);
  EXPECT_EQ((*again)[0].created_at, this->t(0));
  // Leased: the next chance to claim it is the end of the lease.
  EXPECT_EQ(**this->store_->next_outbox_time(kKinds), this->t(70'000));
}

// A replica claims only what it can deliver (webhooks may be configured on another one only).
TYPED_TEST(OutboxContract, OnlyTheKindsAWorkerHandlesAreClaimed) {
  auto revocation = this->job("revoke", 0);
  revocation.kind = "revocation";
  ASSERT_TRUE(this->store_->enqueue_outbox(revocation));
  ASSERT_TRUE(this->store_->enqueue_outbox(this->job("hook", 0)));
  const std::vector<std::string> revocations_only = {"revocation"};
  auto claimed = this->store_->claim_outbox(revocations_only, "a", this->t(0), this->t(60'000), 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1U);
  EXPECT_EQ((*claimed)[0].id, "revoke");
  ASSERT_TRUE(this->store_->finish_outbox("revoke", "a"));
  EXPECT_EQ(*this->store_->next_outbox_time(revocations_only), std::nullopt)
      << "the webhook is not this worker's to wait for";
  EXPECT_EQ(this->claim("b", 0), std::vector<std::string>{"hook"});
}

TYPED_TEST(OutboxContract, AnEmptyOutboxHasNoNextTime) {
  EXPECT_EQ(*this->store_->next_outbox_time(kKinds), std::nullopt);
  EXPECT_EQ(*this->store_->count_outbox(), 0);
}

TYPED_TEST(OutboxContract, AJobLeasedAtEnqueueIsNotClaimedByOthers) {
  auto leased = this->job("mine", 0);
  leased.lease_owner = "a";
  leased.lease_until = this->t(60'000);
  ASSERT_TRUE(this->store_->enqueue_outbox(leased));
  EXPECT_TRUE(this->claim("b", 1'000).empty());
  ASSERT_TRUE(this->store_->finish_outbox("mine", "a"));
}

// The job is written with the change that causes it: a rolled-back change leaves no job.
TYPED_TEST(OutboxContract, AJobCommitsAndRollsBackWithItsTransaction) {
  auto failed = this->store_->transact([&](store::Store& tx) -> core::Status {
    if (auto queued = tx.enqueue_outbox(this->job("lost", 0)); !queued) return queued;
    return core::make_error(Code::conflict, "changed its mind");
  });
  ASSERT_FALSE(failed);
  auto done = this->store_->transact(
      [&](store::Store& tx) -> core::Status { return tx.enqueue_outbox(this->job("kept", 0)); });
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(this->claim("a", 0), std::vector<std::string>{"kept"});
}

// Many workers claiming at once (one connection each): every job goes to exactly one of them.
TYPED_TEST(OutboxContract, ConcurrentClaimersNeverShareAJob) {
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(this->store_->enqueue_outbox(this->job(fmt::format("job-{:02}", i), i)));
  }
  constexpr int kWorkers = 4;
  std::vector<std::vector<std::string>> claimed(kWorkers);
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int round = 0; round < 20; ++round) {
        auto got = this->store_->claim_outbox(kKinds, fmt::format("w{}", w), this->t(100'000),
                                              this->t(200'000), 5);
        if (!got) continue;  // SQLite may report a busy writer; claiming again is the answer
        for (const auto& one : *got) claimed[w].push_back(one.id);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  std::multiset<std::string> all;
  for (const auto& ids : claimed) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), std::set<std::string>(all.begin(), all.end()).size()) << "claimed twice";
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kJobs));
}

}  // namespace
}  // namespace oauth_manager
