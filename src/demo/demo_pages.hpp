#pragma once

#include <string>
#include <vector>

#include "http/message.hpp"

namespace oauth_manager::demo {

// The demo provider's two pages (and its error page), in the connect page's style, under a CSP
// that allows no script at all and posts forms only to this origin.
http::Response login_page(const std::string& interaction, const std::string& problem);
http::Response consent_page(const std::string& interaction, const std::string& name,
                            const std::vector<std::string>& scopes);
http::Response demo_error_page(int status, const std::string& message);

}  // namespace oauth_manager::demo
