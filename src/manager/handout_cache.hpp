#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/integration.hpp"
#include "core/token_record.hpp"
#include "store/integration_watcher.hpp"

namespace oauth_manager::manager {

// What the token hand-out needs of one integration, as last read from the store.
struct HandoutEntry {
  core::Integration integration;
  std::optional<core::TokenRecord> tokens;  // still encrypted; nullopt: none stored
};

struct HandoutCacheSettings {
  std::size_t max_entries = 100000;
  // The staleness bound: no entry is served longer than this after it was read, whether or not
  // a report of a write reached this replica.
  std::chrono::milliseconds max_staleness{1000};
};

// This replica's copies of integrations and their encrypted token sets, so that handing out a
// fresh token makes no database round trip (tokens are decrypted on each use, never held in
// clear). Every write is reported to it (the store reports this process's, the PostgreSQL
// listener other replicas'), and drops the copies concerned at once; max_staleness bounds what a
// lost report can cost. A read that raced a write to the same integration (or account) is not
// kept: take a Ticket before reading the store, and hand it to put.
class HandoutCache final : public store::IntegrationWatcher {
 public:
  using Clock = std::chrono::steady_clock;
  struct Ticket {
    std::uint64_t epoch = 0;
    Clock::time_point taken_at;  // a copy's age counts from here: before the read
  };
  explicit HandoutCache(HandoutCacheSettings settings) : settings_(settings) {}

  using Shared = std::shared_ptr<const HandoutEntry>;
  Ticket ticket() const;
  // Shared, not copied: a hit must not copy the integration and its ciphertexts every time.
  Shared find(const std::string& integration_id);
  void put(const Ticket& ticket, const Shared& entry);
  // The ids of the integrations of `user_id` at `provider` that are not revoked.
  std::optional<std::vector<std::string>> find_live_ids(const std::string& user_id,
                                                        const std::string& provider);
  void put_live_ids(const Ticket& ticket, const std::string& user_id, const std::string& provider,
                    const std::vector<std::string>& ids);

  void integration_changed(const store::IntegrationChange& change) override;
  void changes_missed() override;
  std::size_t size() const;

 private:
  template <typename Value>
  struct Copy {
    Value value;
    Clock::time_point read_at;
  };
  // A report of a write, kept for a while so that a read begun before it is not kept.
  struct Invalidation {
    std::uint64_t epoch;
    std::string integration_id;
    std::string account;  // account_key, when the report or the cache knew it
  };
  static constexpr std::size_t kRecentInvalidations = 4096;

  static std::string account_key(const std::string& user_id, const std::string& provider);
  bool fresh(Clock::time_point read_at) const;
  // With mutex_ held: whether no write reported since `ticket` touched `ids` or `account`.
  bool still_current(const Ticket& ticket, const std::vector<std::string>& ids,
                     const std::string& account) const;
  void drop_live_ids(const std::string& key);
  void make_room();

  const HandoutCacheSettings settings_;
  mutable std::mutex mutex_;
  std::uint64_t epoch_ = 0;          // advanced by every report of a write
  std::uint64_t missed_at_ = 0;      // the epoch of the last changes_missed()
  std::deque<Invalidation> recent_;  // the last kRecentInvalidations reports
  std::unordered_map<std::string, Copy<Shared>> entries_;
  std::unordered_map<std::string, Copy<std::vector<std::string>>> live_ids_;  // by account_key
  std::unordered_map<std::string, std::string> account_of_;  // integration id -> its account_key
};

}  // namespace oauth_manager::manager
