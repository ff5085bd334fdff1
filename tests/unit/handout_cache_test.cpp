// The hand-out cache: what a report of a write drops, and what it never keeps.
#include "manager/handout_cache.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace oauth_manager {
namespace {

using manager::HandoutCache;
using manager::HandoutCacheSettings;
using manager::HandoutEntry;

HandoutCache::Shared entry(const std::string& id, const std::string& user = "alice") {
  HandoutEntry made;
  made.integration.id = id;
  made.integration.user_id = user;
  made.integration.provider = "google";
  core::TokenRecord tokens;
  tokens.integration_id = id;
  tokens.version = 1;
  made.tokens = tokens;
  return std::make_shared<const HandoutEntry>(std::move(made));
}

HandoutCacheSettings minute_long() { return {100, std::chrono::minutes(1)}; }

TEST(HandoutCache, KeepsWhatWasReadUntilAWriteIsReported) {
  HandoutCache cache(minute_long());
  EXPECT_FALSE(cache.find("i1"));
  cache.put(cache.ticket(), entry("i1"));
  ASSERT_TRUE(cache.find("i1"));
  EXPECT_EQ(cache.find("i1")->tokens->version, 1);

  cache.integration_changed({"i1", "", ""});
  EXPECT_FALSE(cache.find("i1"));
}

TEST(HandoutCache, AReadThatRacedAWriteIsNotKept) {
  HandoutCache cache(minute_long());
  const auto before_read = cache.ticket();
  // The write commits (and is reported) while the read is on its way back with the old row.
  cache.integration_changed({"i1", "", ""});
  cache.put(before_read, entry("i1"));
  EXPECT_FALSE(cache.find("i1"));
  cache.put(before_read, entry("i1"));
  cache.put_live_ids(before_read, "alice", "google", {"i1"});
  EXPECT_FALSE(cache.find_live_ids("alice", "google"));
}

TEST(HandoutCache, AWriteToAnotherIntegrationDoesNotRefuseARead) {
  HandoutCache cache(minute_long());
  const auto before_read = cache.ticket();
  // The background refresher renews someone else's tokens meanwhile.
  cache.integration_changed({"i2", "", ""});
  cache.put(before_read, entry("i1"));
  EXPECT_TRUE(cache.find("i1"));
}

TEST(HandoutCache, AReadThatRacedAStatusChangeOfAListedIntegrationIsNotKept) {
  HandoutCache cache(minute_long());
  const auto before_read = cache.ticket();
  cache.integration_changed({"i1", "", ""});  // a disconnect, reported by id alone
  cache.put_live_ids(before_read, "alice", "google", {"i1"});
  EXPECT_FALSE(cache.find_live_ids("alice", "google"));
}

TEST(HandoutCache, AStatusChangeDropsTheLookupByUserAndProvider) {
  HandoutCache cache(minute_long());
  cache.put_live_ids(cache.ticket(), "alice", "google", {"i1"});
  cache.put_live_ids(cache.ticket(), "bob", "google", {"i2"});
  // A disconnect reports the id alone.
  cache.integration_changed({"i1", "", ""});
  EXPECT_FALSE(cache.find_live_ids("alice", "google"));
  EXPECT_TRUE(cache.find_live_ids("bob", "google")) << "another account's lookup stays";
}

TEST(HandoutCache, ANewIntegrationDropsItsAccountsLookup) {
  HandoutCache cache(minute_long());
  cache.put_live_ids(cache.ticket(), "alice", "google", {});  // "alice has no google integration"
  cache.integration_changed({"i9", "alice", "google"});
  EXPECT_FALSE(cache.find_live_ids("alice", "google"));
}

TEST(HandoutCache, MissedReportsDropEverything) {
  HandoutCache cache(minute_long());
  cache.put(cache.ticket(), entry("i1"));
  cache.put_live_ids(cache.ticket(), "alice", "google", {"i1"});
  cache.changes_missed();
  EXPECT_FALSE(cache.find("i1"));
  EXPECT_FALSE(cache.find_live_ids("alice", "google"));
  EXPECT_EQ(cache.size(), 0U);
}

TEST(HandoutCache, NothingIsServedPastTheStalenessBound) {
  HandoutCache cache({100, std::chrono::milliseconds(1)});
  cache.put(cache.ticket(), entry("i1"));
  cache.put_live_ids(cache.ticket(), "alice", "google", {"i1"});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(cache.find("i1"));
  EXPECT_FALSE(cache.find_live_ids("alice", "google"));
}

TEST(HandoutCache, HoldsAtMostMaxEntriesAndKeepsTheNewest) {
  HandoutCache cache({3, std::chrono::minutes(1)});
  for (int i = 0; i < 10; ++i) cache.put(cache.ticket(), entry("i" + std::to_string(i)));
  EXPECT_LE(cache.size(), 3U);
  EXPECT_TRUE(cache.find("i9")) << "the newest entry is kept";
}

TEST(HandoutCache, WhenFullExpiredCopiesMakeRoomFirst) {
  HandoutCache cache({3, std::chrono::milliseconds(300)});
  cache.put(cache.ticket(), entry("old-1"));
  cache.put(cache.ticket(), entry("old-2"));
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  cache.put(cache.ticket(), entry("new-1"));
  cache.put(cache.ticket(), entry("new-2"));
  EXPECT_TRUE(cache.find("new-1")) << "a fresh copy is not thrown out while stale ones remain";
  EXPECT_TRUE(cache.find("new-2"));
}

}  // namespace
}  // namespace oauth_manager
