#include "manager/handout_cache.hpp"

#include <algorithm>

namespace oauth_manager::manager {

HandoutCache::Ticket HandoutCache::ticket() const {
  const std::lock_guard lock(mutex_);
  return Ticket{epoch_, Clock::now()};
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

// Per integration, not global: with a global epoch, any write anywhere (the background refresher
// renews tokens all the time) would refuse every read in flight, and the cache would hardly fill.
bool HandoutCache::still_current(const Ticket& ticket, const std::vector<std::string>& ids,
                                 const std::string& account) const {
  if (ticket.epoch == epoch_) return true;
  if (ticket.epoch < missed_at_) return false;
  // Reports made after the ticket that are no longer kept might have named these.
  if (recent_.empty() || recent_.front().epoch > ticket.epoch + 1) return false;
  return std::none_of(recent_.begin(), recent_.end(), [&](const Invalidation& report) {
    if (report.epoch <= ticket.epoch) return false;
    if (!account.empty() && report.account == account) return true;
    return std::find(ids.begin(), ids.end(), report.integration_id) != ids.end();
  });
}

HandoutCache::Shared HandoutCache::find(const std::string& integration_id) {
  const std::lock_guard lock(mutex_);
  const auto found = entries_.find(integration_id);
  if (found == entries_.end()) return nullptr;
  if (!fresh(found->second.read_at)) {
    entries_.erase(found);
    return nullptr;
  }
  return found->second.value;
}

void HandoutCache::put(const Ticket& ticket, const Shared& entry) {
  const std::lock_guard lock(mutex_);
  if (!still_current(ticket, {entry->integration.id}, "")) return;  // it may be stale
  make_room();
  entries_.insert_or_assign(entry->integration.id, Copy<Shared>{entry, ticket.taken_at});
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

void HandoutCache::put_live_ids(const Ticket& ticket, const std::string& user_id,
                                const std::string& provider, const std::vector<std::string>& ids) {
  const std::lock_guard lock(mutex_);
  auto key = account_key(user_id, provider);
  if (!still_current(ticket, ids, key)) return;
  make_room();
  drop_live_ids(key);
  for (const auto& id : ids) account_of_[id] = key;
  live_ids_.emplace(std::move(key), Copy<std::vector<std::string>>{ids, ticket.taken_at});
}

void HandoutCache::integration_changed(const store::IntegrationChange& change) {
  const std::lock_guard lock(mutex_);
  Invalidation report{++epoch_, change.integration_id, ""};
  entries_.erase(change.integration_id);
  // A status change moves an integration in or out of its account's live list; a new one is
  // known only by the user and provider its report names.
  if (const auto account = account_of_.find(change.integration_id); account != account_of_.end()) {
    report.account = account->second;
    drop_live_ids(std::string(account->second));
  }
  if (!change.user_id.empty()) {
    report.account = account_key(change.user_id, change.provider);
    drop_live_ids(report.account);
  }
  recent_.push_back(std::move(report));
  if (recent_.size() > kRecentInvalidations) recent_.pop_front();
}

void HandoutCache::changes_missed() {
  const std::lock_guard lock(mutex_);
  missed_at_ = ++epoch_;
  entries_.clear();
  live_ids_.clear();
  account_of_.clear();
  recent_.clear();
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

// Bounded memory. When full, copies past the staleness bound go first (they are never served
// again, but only a lookup would have removed them); if that frees nothing, everything goes: the
// next reads refill it, and no arbitrary-victim rule can throw out the newest copies instead.
void HandoutCache::make_room() {
  if (entries_.size() < settings_.max_entries && live_ids_.size() < settings_.max_entries) return;
  std::erase_if(entries_, [this](const auto& item) { return !fresh(item.second.read_at); });
  std::vector<std::string> stale_accounts;
  for (const auto& [key, copy] : live_ids_) {
    if (!fresh(copy.read_at)) stale_accounts.push_back(key);
  }
  for (const auto& key : stale_accounts) drop_live_ids(key);
  if (entries_.size() >= settings_.max_entries) entries_.clear();
  if (live_ids_.size() >= settings_.max_entries) {
    live_ids_.clear();
    account_of_.clear();
  }
}

}  // namespace oauth_manager::manager
