#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace oauth_manager::testing {

// A plain TCP client for feeding a server exactly the bytes a test wants, malformed or not.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  bool connected() const { return fd_ >= 0; }
  void send(const std::string& bytes);
  void close_write();
  // Reads until the server closes the connection or `limit` passes; `closed` tells which.
  std::string read_until_closed(std::chrono::milliseconds limit, bool* closed = nullptr);
  // Reads one HTTP response whose body length is given by Content-Length.
  std::optional<std::string> read_response(std::chrono::milliseconds limit);

 private:
  int fd_ = -1;
  std::string pending_;
};

// A listening socket on 127.0.0.1 and a free port (written to `port`); throws when none.
int listen_on_loopback(std::uint16_t& port);

// One request on a fresh connection; returns the raw response text ("" if none came).
std::string http_exchange(std::uint16_t port, const std::string& request,
                          std::chrono::milliseconds limit = std::chrono::seconds(5));
int status_of(const std::string& response);
std::string body_of(const std::string& response);
std::optional<std::string> header_of(const std::string& response, const std::string& name);
// The decoded parameters of a URL's query (or of a form body given as "?" + body).
std::map<std::string, std::string> query_params(const std::string& url);

}  // namespace oauth_manager::testing
