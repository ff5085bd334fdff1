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
#include "store/postgres/postgres_connection.hpp"

namespace oauth_manager::store::postgres {
namespace {

constexpr const char* kChannel = "oam_integration_changed";
constexpr std::chrono::milliseconds kReconnectPause{1000};
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

  bool listening() const override { return listening_; }

 private:
  void run() {
    bool warned = false;
    while (!stopping_) {
      auto conn = open_connection(url_);
      if (conn && subscribe(*conn)) {
        warned = false;
        listen_on(*conn);
      } else if (!warned) {
        log::warn("cache.listener_unavailable",
                  {{"error", conn ? std::string("LISTEN failed") : conn.error().message},
                   {"retry_in_ms", kReconnectPause.count()}});
        warned = true;
      }
      if (conn) PQfinish(*conn);
      wait_for(-1, kReconnectPause);
    }
  }

  static bool subscribe(PGconn* conn) {
    PGresult* result = PQexec(conn, (std::string("LISTEN ") + kChannel).c_str());
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    return ok && PQsetnonblocking(conn, 1) == 0;
  }

  // Hears until the connection fails or the listener stops.
  void listen_on(PGconn* conn) {
    // Whatever was written while nobody listened is unknown.
    watcher_.changes_missed();
    listening_ = true;
    log::info("cache.listening", {{"channel", kChannel}});
    bool probing = false;
    while (!stopping_) {
      const auto ready = wait_for(PQsocket(conn), kQuietProbe);
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
    listening_ = false;
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

  // Waits for `socket` (or only the wake-up, when -1) to be readable; false on timeout.
  bool wait_for(int socket, std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{wake_, POLLIN, 0}, {socket, POLLIN, 0}};
    const int count = socket >= 0 ? 2 : 1;
    const int ready = poll(fds, count, static_cast<int>(timeout.count()));
    return ready > 0 && (count == 1 || fds[1].revents != 0);
  }

  const std::string url_;
  IntegrationWatcher& watcher_;
  const int wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<ChangeListener> listen_for_changes(const std::string& url,
                                                   IntegrationWatcher& watcher) {
  return std::make_unique<PostgresChangeListener>(url, watcher);
}

}  // namespace oauth_manager::store::postgres
