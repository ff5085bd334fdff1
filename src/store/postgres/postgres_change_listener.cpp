#include "store/postgres/postgres_change_listener.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "log/logger.hpp"

namespace oauth_manager::store::postgres {
namespace {

constexpr const char* kChannel = "oam_integration_changed";
constexpr std::chrono::milliseconds kReconnectPause{1000};
constexpr std::chrono::milliseconds kConnectTimeout{10000};
// A connection that has been quiet this long is asked a question; one that does not answer
// within the same time is taken for lost (a dead peer may never close the socket).
constexpr std::chrono::milliseconds kQuietProbe{10000};

// [id] or [id, user_id, provider] (migration 0009); nullopt for anything else.
std::optional<IntegrationChange> parse_notice(const char* payload) {
  const auto json = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!json.is_array() || json.empty() || !json[0].is_string()) return std::nullopt;
  IntegrationChange change{json[0].get<std::string>(), {}, {}};
  if (json.size() == 3 && json[1].is_string() && json[2].is_string()) {
    change.user_id = json[1].get<std::string>();
    change.provider = json[2].get<std::string>();
  }
  return change;
}

class PostgresChangeListener final : public ChangeListener {
 public:
  PostgresChangeListener(std::string url, IntegrationWatcher& watcher)
      : url_(std::move(url)), watcher_(watcher), wake_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    thread_ = std::thread([this] { run(); });
  }
  PostgresChangeListener(const PostgresChangeListener&) = delete;
  PostgresChangeListener& operator=(const PostgresChangeListener&) = delete;
  ~PostgresChangeListener() override {
    stopping_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(wake_, &one, sizeof one);
    thread_.join();
    close(wake_);
  }

 private:
  void run() {
    bool warned = false;
    while (!stopping_) {
      std::string why;
      PGconn* conn = connect(why);
      if (conn != nullptr && subscribe(conn, why)) {
        warned = false;
        listen_on(conn);
      } else if (!warned && !stopping_) {
        log::warn("cache.listener_unavailable",
                  {{"error", why}, {"retry_in_ms", kReconnectPause.count()}});
        warned = true;
      }
      if (conn != nullptr) PQfinish(conn);
      wait_for(-1, 0, kReconnectPause);
    }
  }

  // libpq's non-blocking connect, polled next to the wake-up so that stopping never waits for a
  // connect (a host that does not answer would hold it for connect_timeout per address). Host
  // names are still resolved synchronously by libpq. Keepalives and tcp_user_timeout make a
  // peer that vanished without closing the connection show as an error.
  PGconn* connect(std::string& why) {
    const char* keywords[] = {
        "connect_timeout",  "application_name", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
    const char* values[] = {"5",    "oauth-manager-listener", "10", "5", "3", "30000", url_.c_str(),
                            nullptr};
    PGconn* conn = PQconnectStartParams(keywords, values, /*expand_dbname=*/1);
    auto state = PGRES_POLLING_WRITING;
    const auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
    while (conn != nullptr && PQstatus(conn) != CONNECTION_BAD && state != PGRES_POLLING_FAILED &&
           !stopping_) {
      if (state == PGRES_POLLING_OK) return conn;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      const short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
      if (left.count() <= 0 || !wait_for(PQsocket(conn), events, left)) {
        why = "connecting timed out";
        PQfinish(conn);
        return nullptr;
      }
      state = PQconnectPoll(conn);
    }
    why = conn != nullptr ? first_line(PQerrorMessage(conn)) : "out of memory";
    if (conn != nullptr) PQfinish(conn);
    return nullptr;
  }

  // LISTEN, sent and awaited without blocking the stop either.
  bool subscribe(PGconn* conn, std::string& why) {
    if (PQsetnonblocking(conn, 1) != 0 ||
        PQsendQuery(conn, (std::string("LISTEN ") + kChannel).c_str()) == 0) {
      why = first_line(PQerrorMessage(conn));
      return false;
    }
    bool listening = false;
    while (!stopping_) {
      if (PQflush(conn) < 0 || !wait_for(PQsocket(conn), POLLIN, kConnectTimeout) ||
          PQconsumeInput(conn) == 0) {
        why = "LISTEN got no answer";
        return false;
      }
      if (PQisBusy(conn) != 0) continue;
      while (PGresult* result = PQgetResult(conn)) {
        listening = listening || PQresultStatus(result) == PGRES_COMMAND_OK;
        if (!listening) why = first_line(PQresultErrorMessage(result));
        PQclear(result);
      }
      return listening;
    }
    return false;
  }

  static std::string first_line(const char* message) {
    std::string text = message != nullptr ? message : "";
    return text.substr(0, text.find('\n'));
  }

  // Hears until the connection fails or the listener stops.
  void listen_on(PGconn* conn) {
    // Whatever was written while nobody listened is unknown.
    watcher_.changes_missed();
    log::info("cache.listening", {{"channel", kChannel}});
    bool probing = false;
    while (!stopping_) {
      const auto ready = wait_for(PQsocket(conn), POLLIN, kQuietProbe);
      if (stopping_) break;
      if (!ready) {
        if (probing || PQsendQuery(conn, "SELECT 1") == 0) break;  // no answer: lost
        probing = true;
        continue;
      }
      if (PQconsumeInput(conn) == 0) break;
      while (PQisBusy(conn) == 0) {
        PGresult* result = PQgetResult(conn);
        if (result == nullptr) break;
        PQclear(result);
        probing = false;
      }
      report_notices(conn);
    }
    watcher_.changes_missed();
    if (!stopping_) log::warn("cache.listener_lost", {{"retry_in_ms", kReconnectPause.count()}});
  }

  void report_notices(PGconn* conn) {
    while (PGnotify* notice = PQnotifies(conn)) {
      if (auto change = parse_notice(notice->extra)) {
        watcher_.integration_changed(*change);
      } else {
        // Not ours to understand: drop everything rather than keep something stale.
        watcher_.changes_missed();
      }
      PQfreemem(notice);
    }
  }

  // Waits for `events` on `socket` (or only for the wake-up, when -1); false on timeout or stop.
  bool wait_for(int socket, short events, std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{wake_, POLLIN, 0}, {socket, events, 0}};
    const nfds_t count = socket >= 0 ? 2 : 1;
    const int ready = poll(fds, count, static_cast<int>(timeout.count()));
    return ready > 0 && !stopping_ && count == 2 && fds[1].revents != 0;
  }

  const std::string url_;
  IntegrationWatcher& watcher_;
  const int wake_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<ChangeListener> listen_for_changes(const std::string& url,
                                                   IntegrationWatcher& watcher) {
  return std::make_unique<PostgresChangeListener>(url, watcher);
}

}  // namespace oauth_manager::store::postgres
