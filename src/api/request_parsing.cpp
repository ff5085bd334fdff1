#include "api/request_parsing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/text.hpp"
#include "http/router.hpp"

namespace oauth_manager::api {
namespace {

core::Error invalid(std::string message) {
  return core::make_error(core::Code::invalid_request, std::move(message));
}

// Form encoding writes spaces as '+'.
std::optional<std::string> form_decode(std::string_view text) {
  std::string spaced(text);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  return core::percent_decode(spaced);
}

bool is_allowed(const std::vector<std::string_view>& allowed, std::string_view name) {
  return std::find(allowed.begin(), allowed.end(), name) != allowed.end();
}

std::string allowed_list(const std::vector<std::string_view>& allowed) {
  if (allowed.empty()) return "none";
  return fmt::format("{}", fmt::join(allowed, ", "));
}

// Names in messages come from the client: keep them short and printable.
std::string printable_name(std::string_view name) {
  std::string shown;
  for (char c : name.substr(0, 64)) {
    shown += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  return shown;
}

}  // namespace

core::Result<QueryParams> parse_query_any(std::string_view query) {
  QueryParams params;
  for (std::size_t start = 0; start < query.size();) {
    const auto end = std::min(query.find('&', start), query.size());
    const auto pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    auto name = form_decode(pair.substr(0, equals));
    auto value = form_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1));
    if (!name || !value) return invalid("the query string has a malformed %-escape");
    const auto shown = printable_name(*name);
    if (!params.emplace(std::move(*name), std::move(*value)).second) {
      return invalid(fmt::format("query parameter \"{}\" is given more than once", shown));
    }
  }
  return params;
}

core::Result<QueryParams> parse_query(std::string_view query,
                                      const std::vector<std::string_view>& allowed) {
  auto params = parse_query_any(query);
  if (!params) return params.error();
  for (const auto& [name, value] : *params) {
    if (!is_allowed(allowed, name)) {
      return invalid(fmt::format("unknown query parameter \"{}\"; allowed: {}",
                                 printable_name(name), allowed_list(allowed)));
    }
  }
  return params;
}

core::Result<nlohmann::json> parse_json_object(const http::Request& request,
                                               const std::vector<std::string_view>& allowed) {
  if (request.body.empty()) return nlohmann::json::object();
  const auto content_type = request.header("content-type");
  if (!content_type || core::ascii_lowercase(content_type->substr(0, content_type->find(';'))) !=
                           "application/json") {
    return invalid("the body must be JSON, sent with Content-Type: application/json");
  }
  auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return invalid("the body is not valid JSON");
  if (!body.is_object()) return invalid("the body must be a JSON object");
  for (const auto& [name, value] : body.items()) {
    if (!is_allowed(allowed, name)) {
      return invalid(fmt::format("unknown field \"{}\"; allowed: {}", printable_name(name),
                                 allowed_list(allowed)));
    }
  }
  return body;
}

core::Result<int> integer_param(const QueryParams& params, const std::string& name, int fallback,
                                int low, int high) {
  const auto found = params.find(name);
  if (found == params.end()) return fallback;
  int value = 0;
  const auto& text = found->second;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < low || value > high) {
    return invalid(fmt::format("\"{}\" must be an integer from {} to {}", name, low, high));
  }
  return value;
}

core::Result<std::optional<core::Timestamp>> time_param(const QueryParams& params,
                                                        const std::string& name) {
  const auto found = params.find(name);
  if (found == params.end()) return std::optional<core::Timestamp>{};
  const auto time = core::parse_rfc3339(found->second);
  if (!time) {
    return invalid(fmt::format("\"{}\" must be an RFC 3339 time, e.g. 2026-11-24T10:00:00Z", name));
  }
  return std::optional<core::Timestamp>{*time};
}

std::optional<std::string> optional_param(const QueryParams& params, const std::string& name) {
  const auto found = params.find(name);
  if (found == params.end()) return std::nullopt;
  return found->second;
}

core::Result<std::optional<std::string>> string_member(const nlohmann::json& body,
                                                       const char* name) {
  const auto found = body.find(name);
  if (found == body.end() || found->is_null()) return std::optional<std::string>{};
  if (!found->is_string() || found->get<std::string>().empty() ||
      found->get<std::string>().size() > 2048) {
    return core::make_error(core::Code::invalid_request,
                            fmt::format("\"{}\" must be a non-empty string", name));
  }
  return std::optional<std::string>{found->get<std::string>()};
}

core::Result<std::optional<std::vector<std::string>>> string_list_member(const nlohmann::json& body,
                                                                         const char* name,
                                                                         std::size_t max_items) {
  const auto found = body.find(name);
  if (found == body.end() || found->is_null()) return std::optional<std::vector<std::string>>{};
  const auto refused = core::make_error(
      core::Code::invalid_request,
      fmt::format("\"{}\" must be an array of at most {} non-empty strings", name, max_items));
  if (!found->is_array() || found->size() > max_items) return refused;
  std::vector<std::string> items;
  for (const auto& item : *found) {
    if (!item.is_string() || item.get<std::string>().empty() ||
        item.get<std::string>().size() > 512) {
      return refused;
    }
    items.push_back(item.get<std::string>());
  }
  return std::optional<std::vector<std::string>>{std::move(items)};
}

}  // namespace oauth_manager::api
