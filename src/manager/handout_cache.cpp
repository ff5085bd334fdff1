#include "manager/handout_cache.hpp"

namespace oauth_manager::manager {

HandoutCache::Ticket HandoutCache::ticket() const {
  const std::lock_guard lock(mutex_);
  return epoch_;
}

bool HandoutCache::fresh(Clock::time_point read_at) const {
  return Clock::now() - read_at < settings_.max_staleness;
}

std::string HandoutCache::account_key(const std::string& user_id, const std::string& provider) {
  std::string key = provider;
  key += '\0';  // cannot occur in a provider id
  key += user_id;
  return key;
}

std::optional<HandoutEntry> HandoutCache::find(const std::string& integration_id) {
  const std::lock_guard lock(mutex_);
  const auto found = entries_.find(integration_id);
  if (found == entries_.end()) return std::nullopt;
  if (!fresh(found->second.read_at)) {
    entries_.erase(found);
    return std::nullopt;
  }
  return found->second.value;
}

void HandoutCache::put(Ticket ticket, const HandoutEntry& entry) {
  const std::lock_guard lock(mutex_);
  if (ticket != epoch_) return;  // a write was reported since the read: it may be stale
  make_room();
  entries_.insert_or_assign(entry.integration.id, Copy<HandoutEntry>{entry, Clock::now()});
}

std::optional<std::vector<std::string>> HandoutCache::find_live_ids(const std::string& user_id,
                                                                    const std::string& provider) {
  const std::lock_guard lock(mutex_);
  const auto key = account_key(user_id, provider);
  const auto found = live_ids_.find(key);
  if (found == live_ids_.end()) return std::nullopt;
  if (!fresh(found->second.read_at)) {
    drop_live_ids(key);
    return std::nullopt;
  }
  return found->second.value;
}

void HandoutCache::put_live_ids(Ticket ticket, const std::string& user_id,
                                const std::string& provider, const std::vector<std::string>& ids) {
  const std::lock_guard lock(mutex_);
  if (ticket != epoch_) return;
  make_room();
  auto key = account_key(user_id, provider);
  drop_live_ids(key);
  for (const auto& id : ids) account_of_[id] = key;
  live_ids_.emplace(std::move(key), Copy<std::vector<std::string>>{ids, Clock::now()});
}

void HandoutCache::integration_changed(const store::IntegrationChange& change) {
  const std::lock_guard lock(mutex_);
  ++epoch_;
  entries_.erase(change.integration_id);
  // A status change moves an integration in or out of its account's live list; a new one is
  // known only by the user and provider its report names.
  if (const auto account = account_of_.find(change.integration_id); account != account_of_.end()) {
    drop_live_ids(std::string(account->second));
  }
  if (!change.user_id.empty()) drop_live_ids(account_key(change.user_id, change.provider));
}

void HandoutCache::changes_missed() {
  const std::lock_guard lock(mutex_);
  ++epoch_;
  entries_.clear();
  live_ids_.clear();
  account_of_.clear();
}

std::size_t HandoutCache::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size() + live_ids_.size();
}

void HandoutCache::drop_live_ids(const std::string& key) {
  const auto found = live_ids_.find(key);
  if (found == live_ids_.end()) return;
  for (const auto& id : found->second.value) account_of_.erase(id);
  live_ids_.erase(found);
}

// Bounded memory: past max_entries, arbitrary copies go (the next read of them refills).
void HandoutCache::make_room() {
  while (!entries_.empty() && entries_.size() >= settings_.max_entries) {
    entries_.erase(entries_.begin());
  }
  while (!live_ids_.empty() && live_ids_.size() >= settings_.max_entries) {
    drop_live_ids(std::string(live_ids_.begin()->first));
  }
}

}  // namespace oauth_manager::manager
