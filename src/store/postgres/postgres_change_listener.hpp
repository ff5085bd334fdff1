#pragma once

#include <memory>
#include <string>

#include "store/integration_watcher.hpp"

namespace oauth_manager::store::postgres {

// Listens on a connection of its own for the notices migration 0009's triggers send at every
// commit that writes an integration or its tokens, in any process, and reports each to
// `watcher`. When the connection is lost it tells the watcher that reports were missed, and
// reconnects every second until it hears again. Stops (promptly) when destroyed.
std::unique_ptr<ChangeListener> listen_for_changes(const std::string& url,
                                                   IntegrationWatcher& watcher);

}  // namespace oauth_manager::store::postgres
