#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "http/message.hpp"

namespace oauth_manager::api {

// Query parameters by name, percent-decoded.
using QueryParams = std::map<std::string, std::string>;

// Parses `query` (application/x-www-form-urlencoded). A parameter not in `allowed`, a repeated
// one, or a malformed escape is invalid_request naming it.
core::Result<QueryParams> parse_query(std::string_view query,
                                      const std::vector<std::string_view>& allowed);

// Every parameter, whatever its name (for queries a third party writes, like an OAuth callback);
// a repeated parameter or a malformed escape is still invalid_request.
core::Result<QueryParams> parse_query_any(std::string_view query);

// Parses a JSON object body. Anything but a JSON object, or a member not in `allowed`, is
// invalid_request naming the problem (and never echoing values, which may be secrets). An empty
// body is an empty object.
core::Result<nlohmann::json> parse_json_object(const http::Request& request,
                                               const std::vector<std::string_view>& allowed);

// Typed readers for JSON body members; absent (or null) is nullopt, anything else but a
// non-empty string of at most 2048 bytes (or an array of at most `max_items` such strings of at
// most 512 bytes) is invalid_request naming the member.
core::Result<std::optional<std::string>> string_member(const nlohmann::json& body,
                                                       const char* name);
core::Result<std::optional<std::vector<std::string>>> string_list_member(const nlohmann::json& body,
                                                                         const char* name,
                                                                         std::size_t max_items);

// Typed readers for query values; invalid_request naming the parameter otherwise.
core::Result<int> integer_param(const QueryParams& params, const std::string& name, int fallback,
                                int low, int high);
core::Result<std::optional<core::Timestamp>> time_param(const QueryParams& params,
                                                        const std::string& name);
std::optional<std::string> optional_param(const QueryParams& params, const std::string& name);

}  // namespace oauth_manager::api
