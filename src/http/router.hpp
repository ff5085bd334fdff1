#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace oauth_manager::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Matches "METHOD /path/{param}/..." routes. Literal segments match exactly; {name} matches one
// non-empty segment, percent-decoded into Request::path_params.
class Router {
 public:
  struct Match {
    enum class Outcome { found, method_not_allowed, not_found };
    Outcome outcome = Outcome::not_found;
    const Handler* handler = nullptr;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed_methods;  // for 405's Allow header
  };

  void add(std::string method, std::string pattern, Handler handler);
  Match match(std::string_view method, std::string_view path) const;
  // "METHOD pattern" of every route, for checking the OpenAPI document against the router.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace oauth_manager::http
