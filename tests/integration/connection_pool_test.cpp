// Keep-alive connections of the outbound HTTP client, against a plain HTTP/1.1 server on
// 127.0.0.1 that counts the connections it accepts: requests share connections, never more than
// the limit per origin, a connection the server closed while idle is replaced without failing the
// request, and a request that waits for a place in line gives up at its deadline.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.hpp"
#include "support/in_process_server.hpp"

namespace oauth_manager {
namespace {

enum class Behaviour {
  keep_open,          // HTTP/1.1's default
  close_after_each,   // closes after answering without saying so: its keep-alive timeout ran out
  answer_first_only,  // reads a connection's second request, then closes without an answer
  interim_first,      // a 103 Early Hints before each answer
};

// Answers every request with 200 and its number ("1", "2", ...) after `delay`, behaving as told
// about the connection; counts connections and requests.
class CountingServer {
 public:
  explicit CountingServer(std::chrono::milliseconds delay,
                          Behaviour behaviour = Behaviour::keep_open)
      : delay_(delay), behaviour_(behaviour) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 128) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~CountingServer() {
    stopping_ = true;
    acceptor_.join();
    {
      const std::lock_guard lock(mutex_);
      for (const int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& thread : connections_) thread.join();
    ::close(listener_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int accepted() const { return accepted_; }
  int requests() const { return requests_; }
  int most_open_at_once() const { return most_open_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      pollfd waiting{listener_, POLLIN, 0};
      if (::poll(&waiting, 1, 20) <= 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      {
        const std::lock_guard lock(mutex_);
        open_.push_back(fd);
        most_open_ = std::max(most_open_.load(), static_cast<int>(open_.size()));
      }
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string received;
    char buffer[4096];
    int on_this_connection = 0;
    for (;;) {
      const auto end = received.find("\r\n\r\n");
      if (end == std::string::npos) {
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        received.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      received.erase(0, end + 4);  // the client's requests here have no body
      const auto number = std::to_string(++requests_);
      if (behaviour_ == Behaviour::answer_first_only && ++on_this_connection > 1) break;
      if (behaviour_ == Behaviour::interim_first) {
        const std::string hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n";
        if (::send(fd, hints.data(), hints.size(), MSG_NOSIGNAL) < 0) break;
      }
      std::this_thread::sleep_for(delay_);
      const auto answer = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(number.size()) +
                          "\r\n\r\n" + number;
      if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) < 0 ||
          behaviour_ == Behaviour::close_after_each) {
        break;
      }
    }
    {
      const std::lock_guard lock(mutex_);
      open_.erase(std::find(open_.begin(), open_.end(), fd));
    }
    ::close(fd);
  }

  std::chrono::milliseconds delay_;
  Behaviour behaviour_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> most_open_{0};
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> connections_;  // only touched by the accepting thread, then joined
  std::thread acceptor_;
};

using Answer = std::optional<core::Result<net::HttpResponse>>;  // use_future needs a default

boost::asio::awaitable<Answer> send(net::HttpClient& client, std::string url) {
  net::HttpRequest request;
  request.url = std::move(url);
  auto sending = client.send(std::move(request));
  auto response = co_await std::move(sending);
  co_return Answer(std::move(response));
}

class ConnectionPoolTest : public ::testing::Test {
 protected:
  static net::ClientOptions loopback(std::size_t limit = 1024) {
    net::ClientOptions options;
    options.allow_insecure_loopback = true;
    options.max_connections_per_origin = limit;
    return options;
  }

  core::Result<net::HttpResponse> get(net::HttpClient& client, const std::string& url,
                                      const std::string& method = "GET") {
    net::HttpRequest request;
    request.method = method;
    request.url = url;
    return testing::run_on(io_.io(), client.send(request));
  }

  // `count` requests started together, each answer in the order they were started.
  std::vector<core::Result<net::HttpResponse>> get_at_once(net::HttpClient& client,
                                                           const std::string& url, int count) {
    std::vector<std::future<Answer>> answers;
    for (int i = 0; i < count; ++i) {
      answers.push_back(
          boost::asio::co_spawn(io_.io(), send(client, url), boost::asio::use_future));
    }
    std::vector<core::Result<net::HttpResponse>> results;
    for (auto& answer : answers) results.push_back(*answer.get());
    return results;
  }

  http::Router no_routes_;
  testing::InProcessServer io_{no_routes_};  // only for its I/O threads
};

TEST_F(ConnectionPoolTest, SequentialRequestsShareOneConnection) {
  CountingServer server(std::chrono::milliseconds(0));
  net::HttpClient client(loopback());
  for (int i = 0; i < 5; ++i) {
    const auto response = get(client, server.url());
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, std::to_string(i + 1));
  }
  EXPECT_EQ(server.requests(), 5);
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(ConnectionPoolTest, ConcurrentRequestsNeverOpenMoreThanTheLimit) {
  CountingServer server(std::chrono::milliseconds(50));
  net::HttpClient client(loopback(3));
  const auto results = get_at_once(client, server.url(), 12);
  for (const auto& result : results) ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(server.requests(), 12);
  EXPECT_LE(server.accepted(), 3);
  EXPECT_LE(server.most_open_at_once(), 3);
}

TEST_F(ConnectionPoolTest, AConnectionTheServerClosedIsReplacedWithoutFailingTheRequest) {
  CountingServer server(std::chrono::milliseconds(0), Behaviour::close_after_each);
  net::HttpClient client(loopback());
  for (int i = 0; i < 4; ++i) {
    const auto response = get(client, server.url());
    ASSERT_TRUE(response) << "request " << i << ": " << response.error().message;
  }
  EXPECT_EQ(server.requests(), 4);
  EXPECT_EQ(server.accepted(), 4);
}

TEST_F(ConnectionPoolTest, AnInterimAnswerIsNotTakenForTheAnswer) {
  // Taken for the answer, the 103 would leave the real one on the connection, to be read as
  // the answer to the next request: someone else's tokens.
  CountingServer server(std::chrono::milliseconds(20), Behaviour::interim_first);
  net::HttpClient client(loopback());
  for (int i = 1; i <= 3; ++i) {
    const auto response = get(client, server.url());
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, std::to_string(i));
  }
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(ConnectionPoolTest, ALostAnswerIsAskedAgainOnlyWhenTheRequestMayBeRepeated) {
  CountingServer server(std::chrono::milliseconds(0), Behaviour::answer_first_only);
  net::HttpClient client(loopback());
  ASSERT_TRUE(get(client, server.url()));
  // The kept connection takes a POST and ends without an answer: the provider may have acted on
  // it (a code spent, a refresh token rotated), so it is not sent again.
  const auto post = get(client, server.url(), "POST");
  ASSERT_FALSE(post);
  EXPECT_EQ(post.error().code, core::Code::unavailable);
  EXPECT_EQ(server.requests(), 2);
  ASSERT_TRUE(get(client, server.url()));  // a new connection
  // A GET lost the same way goes again, on a new connection.
  const auto again = get(client, server.url());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(server.requests(), 5);
  EXPECT_EQ(server.accepted(), 3);
}

TEST_F(ConnectionPoolTest, ARequestWaitingInLineGivesUpAtItsDeadline) {
  // One connection, answers after 300 ms, a second for everything, of which at most half in
  // line: at most four of ten can be answered; the others must give up waiting, not wait on.
  CountingServer server(std::chrono::milliseconds(300));
  auto options = loopback(1);
  options.total_timeout = std::chrono::milliseconds(1000);
  net::HttpClient client(options);
  const auto results = get_at_once(client, server.url(), 10);
  int answered = 0;
  int gave_up = 0;
  for (const auto& result : results) {
    if (result) {
      ++answered;
    } else if (result.error().message.find("no connection to") != std::string::npos) {
      ++gave_up;
      EXPECT_EQ(result.error().code, core::Code::unavailable);
    }
  }
  EXPECT_GE(answered, 1);
  EXPECT_LE(answered, 4);
  EXPECT_GE(gave_up, 5);
  EXPECT_LE(server.accepted(), 2);  // a request that timed out drops its connection
}

}  // namespace
}  // namespace oauth_manager
