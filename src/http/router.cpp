#include "http/router.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <stdexcept>

namespace oauth_manager::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') return segments;
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route patterns start with '/': " + pattern);
  }
  std::vector<std::string> segments;
  for (auto segment : split_path(pattern)) segments.emplace_back(segment);
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  const auto segments = split_path(path);
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool matched = true;
    for (std::size_t i = 0; i < segments.size() && matched; ++i) {
      const auto& expected = route.segments[i];
      if (is_param(expected)) {
        auto decoded = core::percent_decode(segments[i]);
        matched = !segments[i].empty() && decoded.has_value();
        if (matched) params[expected.substr(1, expected.size() - 2)] = std::move(*decoded);
      } else {
        matched = expected == segments[i];
      }
    }
    if (!matched) continue;
    if (route.method != method) {
      result.allowed_methods.push_back(route.method);
      continue;
    }
    result.outcome = Match::Outcome::found;
    result.handler = &route.handler;
    result.params = std::move(params);
    return result;
  }
  if (!result.allowed_methods.empty()) result.outcome = Match::Outcome::method_not_allowed;
  return result;
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> all;
  for (const auto& route : routes_) all.emplace_back(route.method, route.pattern);
  return all;
}

}  // namespace oauth_manager::http
