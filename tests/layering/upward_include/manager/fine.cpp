// A fixture for scripts/check-layers, never compiled: a high layer including lower ones is fine.
#include "log/logger.hpp"
#include "store/store.hpp"
