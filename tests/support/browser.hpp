#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace oauth_manager::testing {

// What a user's browser does in an OAuth flow, reduced to what the tests need: GET a URL,
// follow redirects while they stay on 127.0.0.1, and keep cookies (per port, all paths).
class Browser {
 public:
  struct Page {
    int status = 0;
    std::string url;                      // the last URL requested
    std::optional<std::string> location;  // a redirect the browser did not follow
    std::string body;
  };

  // Follows at most `max_redirects` redirects on 127.0.0.1; a redirect elsewhere (the
  // application's return_to), or to a URL starting with `stop_before`, is returned unfollowed
  // in `location`.
  Page open(const std::string& url, const std::string& stop_before = "", int max_redirects = 20);
  // One request, no redirect followed (`location` holds it); cookies kept as always.
  Page visit(const std::string& url);
  // How many cookies the browser holds for 127.0.0.1:`port`.
  std::size_t cookie_count(std::uint16_t port) const;
  // Every URL requested so far, in order.
  const std::vector<std::string>& history() const { return history_; }

 private:
  std::map<std::uint16_t, std::map<std::string, std::string>> cookies_;
  std::vector<std::string> history_;
};

}  // namespace oauth_manager::testing
