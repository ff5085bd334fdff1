#include "auth/verified_tokens.hpp"

#include <algorithm>

namespace oauth_manager::auth {

std::optional<VerifiedToken> VerifiedTokens::find(std::string_view token, core::Timestamp now) {
  const std::lock_guard lock(mutex_);
  const auto found = entries_.find(token);
  if (found == entries_.end()) return std::nullopt;
  if (now >= found->second.until) {
    entries_.erase(found);
    return std::nullopt;
  }
  return found->second;
}

void VerifiedTokens::put(std::string_view token, VerifiedToken verified, core::Timestamp now) {
  if (token.size() > kMaxTokenBytes) return;
  verified.until = std::min(verified.until, now + kRecheckAfter);
  if (verified.until <= now) return;  // accepted within the leeway only: nothing to remember
  const std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) {
    // Expired entries first (only a lookup removes them otherwise); if that frees nothing, all
    // of them: an arbitrary victim would often be the newest entry.
    std::erase_if(entries_, [now](const auto& entry) { return now >= entry.second.until; });
    if (entries_.size() >= kMaxEntries) entries_.clear();
  }
  entries_.insert_or_assign(std::string(token), std::move(verified));
}

}  // namespace oauth_manager::auth
