#include "events/audit_coalescing.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <tuple>

namespace oauth_manager::events {
namespace {

// Views into the events being merged, which outlive the map of groups: copying six strings per
// event into its key cost more than the rest of the merge.
using GroupKey =
    std::tuple<std::string_view, std::string_view, std::optional<std::string_view>,
               std::optional<std::string_view>, std::string_view, std::string_view, std::int64_t>;

std::optional<std::string_view> view_of(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return std::string_view(*text);
}

GroupKey group_key(const core::AuditEvent& event) {
  const auto minute =
      std::chrono::duration_cast<std::chrono::minutes>(event.occurred_at.time_since_epoch())
          .count();
  return {event.event,
          event.actor,
          view_of(event.user_id),
          view_of(event.integration_id),
          event.outcome,
          event.details,
          minute};
}

struct Group {
  std::size_t first = 0;  // index into the input
  std::size_t last = 0;
  std::size_t count = 0;
  nlohmann::json request_ids = nlohmann::json::array();
};

core::AuditEvent merged(const std::vector<core::AuditEvent>& events, const Group& group) {
  core::AuditEvent event = events[group.first];
  auto details = nlohmann::json::parse(event.details, nullptr, false);
  if (!details.is_object()) details = nlohmann::json::object();
  details["count"] = group.count;
  details["first_at"] = core::to_rfc3339(events[group.first].occurred_at);
  details["last_at"] = core::to_rfc3339(events[group.last].occurred_at);
  details["request_ids"] = group.request_ids;
  event.details = details.dump();
  // Which request of the group this was no longer says much; request_ids lists them.
  event.request_id.reset();
  return event;
}

}  // namespace

std::vector<core::AuditEvent> coalesce_audit_events(std::vector<core::AuditEvent> events) {
  std::map<GroupKey, std::size_t> group_of;  // key -> index into groups
  std::vector<Group> groups;
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto [found, added] = group_of.try_emplace(group_key(events[i]), groups.size());
    if (added) groups.push_back(Group{i, i, 0, nlohmann::json::array()});
    auto& group = groups[found->second];
    group.last = i;
    ++group.count;
    if (events[i].request_id && group.request_ids.size() < kMaxRequestIds) {
      group.request_ids.push_back(*events[i].request_id);
    }
  }
  std::vector<core::AuditEvent> coalesced;
  coalesced.reserve(groups.size());
  for (const auto& group : groups) {
    coalesced.push_back(group.count == 1 ? std::move(events[group.first]) : merged(events, group));
  }
  return coalesced;
}

}  // namespace oauth_manager::events
