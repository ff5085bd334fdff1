#include "manager/return_urls.hpp"

#include "core/text.hpp"
#include "net/url.hpp"

namespace oauth_manager::manager {
namespace {

std::string path_of(const std::string& target) {
  return target.substr(0, target.find_first_of("?#"));
}

bool path_within(const std::string& path, const std::string& prefix) {
  if (prefix.empty() || prefix == "/") return true;
  if (path.rfind(prefix, 0) != 0) return false;
  return path.size() == prefix.size() || prefix.back() == '/' || path[prefix.size()] == '/';
}

}  // namespace

bool return_url_allowed(const std::string& return_to, const std::vector<std::string>& allowed) {
  // Characters browsers treat as separators in surprising ways never pass.
  if (return_to.find_first_of("\\\r\n\t ") != std::string::npos) return false;
  const auto target = net::parse_url(return_to);
  if (!target) return false;
  for (const auto& entry : allowed) {
    const auto base = net::parse_url(entry);
    if (!base) continue;
    if (base->scheme == target->scheme &&
        core::ascii_lowercase(base->host) == core::ascii_lowercase(target->host) &&
        base->port == target->port && path_within(path_of(target->target), path_of(base->target))) {
      return true;
    }
  }
  return false;
}

}  // namespace oauth_manager::manager
