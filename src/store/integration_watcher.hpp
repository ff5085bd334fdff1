#pragma once

#include <string>

namespace oauth_manager::store {

// A write that changed what a copy of an integration (the token hand-out cache) may hold: the
// integration's row or its token set.
struct IntegrationChange {
  std::string integration_id;
  // Set when the integration's row itself was written (its owner and provider), so that copies
  // of the lookup by (user_id, provider) go too, including for an integration that is new.
  std::string user_id;
  std::string provider;
};

// Hears of writes to integrations and their token sets: this process's from the Store once the
// write's transaction has ended (committed or not: a needless report costs a cache miss, a
// missing one a stale read), other processes' from a ChangeListener. Called on whichever thread
// wrote or listened: implementations lock.
class IntegrationWatcher {
 public:
  virtual ~IntegrationWatcher() = default;
  virtual void integration_changed(const IntegrationChange& change) = 0;
  // Reports may have been missed (a listener lost its connection): forget every copy.
  virtual void changes_missed() = 0;
};

// Reports other processes' writes to a watcher for as long as it lives.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
};

}  // namespace oauth_manager::store
