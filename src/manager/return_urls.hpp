#pragma once

#include <string>
#include <vector>

namespace oauth_manager::manager {

// Whether the browser may be sent back to `return_to` after a connect flow: some entry of
// `allowed` has the same scheme, host and port, and `return_to`'s path starts with the entry's
// path at a segment boundary ("/settings" allows "/settings" and "/settings/x", not
// "/settings-evil"). Anything else would make the callback an open redirect.
bool return_url_allowed(const std::string& return_to, const std::vector<std::string>& allowed);

}  // namespace oauth_manager::manager
