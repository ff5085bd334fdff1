#include "raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include <stdexcept>
#include "core/text.hpp"

namespace oauth_manager::testing {

int listen_on_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port = ntohs(address.sin_port);
  return fd;
}

RawConnection::RawConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void RawConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

void RawConnection::close_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::string RawConnection::read_until_closed(std::chrono::milliseconds limit, bool* closed) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string received = std::move(pending_);
  pending_.clear();
  if (closed != nullptr) *closed = false;
  while (fd_ >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      if (closed != nullptr) *closed = true;
      break;
    }
    received.append(buffer, static_cast<std::size_t>(n));
  }
  return received;
}

std::optional<std::string> RawConnection::read_response(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (fd_ >= 0) {
    const auto header_end = pending_.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      const auto head = pending_.substr(0, header_end + 4);
      const auto length = header_of(head, "Content-Length");
      const std::size_t total = header_end + 4 + (length ? std::stoul(*length) : 0);
      if (pending_.size() >= total) {
        auto response = pending_.substr(0, total);
        pending_.erase(0, total);
        return response;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return std::nullopt;
    pending_.append(buffer, static_cast<std::size_t>(n));
  }
  return std::nullopt;
}

std::string http_exchange(std::uint16_t port, const std::string& request,
                          std::chrono::milliseconds limit) {
  RawConnection connection(port);
  connection.send(request);
  return connection.read_until_closed(limit);
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

std::optional<std::string> header_of(const std::string& response, const std::string& name) {
  const auto head_end = response.find("\r\n\r\n");
  std::size_t position = response.find("\r\n");
  while (position != std::string::npos && position < head_end) {
    const auto line_start = position + 2;
    const auto line_end = response.find("\r\n", line_start);
    const auto line = response.substr(line_start, line_end - line_start);
    const auto colon = line.find(':');
    if (colon != std::string::npos && colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      return value;
    }
    position = line_end;
  }
  return std::nullopt;
}

std::map<std::string, std::string> query_params(const std::string& url) {
  std::map<std::string, std::string> params;
  std::stringstream stream(url.substr(url.find('?') + 1));
  for (std::string pair; std::getline(stream, pair, '&');) {
    const auto equals = pair.find('=');
    const auto decoded =
        core::percent_decode(equals == std::string::npos ? "" : pair.substr(equals + 1));
    params[pair.substr(0, equals)] = decoded ? *decoded : "";
  }
  return params;
}

}  // namespace oauth_manager::testing
