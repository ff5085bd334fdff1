// A fixture for scripts/check-layers, never compiled: a low layer (log) reaching up into a
// high one (manager). The check must report line 4.
#include "core/error.hpp"
#include "manager/token_service.hpp"
