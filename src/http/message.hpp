#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oauth_manager::http {

// An HTTP request as handlers see it: no Beast types, so handlers stay plain functions.
struct Request {
  std::string method;
  std::string path;                                          // without the query string
  std::string query;                                         // after '?', undecoded
  std::map<std::string, std::string> path_params;            // percent-decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;
  std::string remote_ip;
  std::string request_id;
  // What the access log shows instead of `path` when the path itself is a secret (a start
  // link): set by the route.
  std::optional<std::string> logged_path;

  std::optional<std::string_view> header(std::string_view lowercase_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

Response json_response(int status, std::string body);
// 303 See Other to `location`, without a body.
Response see_other(std::string location);
// 204, without a body.
Response no_content();

}  // namespace oauth_manager::http
