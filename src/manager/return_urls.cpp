#include "manager/return_urls.hpp"

#include "core/text.hpp"
#include "net/url.hpp"

#include <vector>

namespace oauth_manager::manager {
namespace {

// An encoded slash or backslash: servers and browsers disagree on whether it separates segments,
// so a path holding one is never compared at all.
bool has_encoded_separator(const std::string& path) {
  const auto lower = core::ascii_lowercase(path);
  return lower.find("%2f") != std::string::npos || lower.find("%5c") != std::string::npos;
}

// "%2e" is a dot to a browser resolving dot segments (WHATWG URL; RFC 3986 §6.2.2.2 decodes
// unreserved characters before comparing).
std::string decode_dots(const std::string& path) {
  std::string decoded;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && path[i + 1] == '2' &&
        (path[i + 2] == 'e' || path[i + 2] == 'E')) {
      decoded += '.';
      i += 2;
    } else {
      decoded += path[i];
    }
  }
  return decoded;
}

// RFC 3986 §5.2.4 remove_dot_segments, on an absolute path.
std::string without_dot_segments(const std::string& path) {
  std::vector<std::string> kept;
  std::size_t start = 1;  // after the leading '/'
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const auto segment = path.substr(start, end - start);
    const bool last = end == path.size();
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      if (last) kept.emplace_back();  // "/a/.." is "/", a directory
    } else if (segment == ".") {
      if (last) kept.emplace_back();
    } else {
      kept.push_back(segment);
    }
    start = end + 1;
  }
  std::string normalised;
  for (const auto& segment : kept) normalised += "/" + segment;
  return normalised.empty() ? "/" : normalised;
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
  const auto raw_path = target->path();
  if (has_encoded_separator(raw_path)) return false;
  const auto path = without_dot_segments(decode_dots(raw_path.empty() ? "/" : raw_path));
  for (const auto& entry : allowed) {
    const auto base = net::parse_url(entry);
    if (!base) continue;
    if (base->same_origin(*target) && path_within(path, base->path())) {
      return true;
    }
  }
  return false;
}

}  // namespace oauth_manager::manager
