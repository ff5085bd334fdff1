#include "events/audit_writer.hpp"

#include "core/ids.hpp"

namespace oauth_manager::events {

boost::asio::awaitable<core::Status> StoreAuditWriter::record(core::AuditEvent event) {
  event.id = core::new_id(random_);
  event.occurred_at = clock_.now();
  auto appended = co_await blocking_.run([this, &event] { return store_.append_audit(event); });
  if (!appended) co_return appended.error();
  co_return core::Status{};
}

}  // namespace oauth_manager::events
