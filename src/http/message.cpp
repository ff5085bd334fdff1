#include "http/message.hpp"

namespace oauth_manager::http {

std::optional<std::string_view> Request::header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return std::nullopt;
}

Response json_response(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response see_other(std::string location) {
  Response response;
  response.status = 303;
  response.content_type.clear();
  response.headers.emplace_back("Location", std::move(location));
  return response;
}

Response no_content() {
  Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

}  // namespace oauth_manager::http
