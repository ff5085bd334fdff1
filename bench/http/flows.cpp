// Load driver for scripts/bench-concurrency: N connect flows at once, then N refreshes at once,
// against a running oauth-manager whose notion provider is bench/http/slow_provider.cpp.
//
//   setup      (untimed, 200 at a time) per flow: POST /v1/integrations/notion/authorize for
//              bench-user-<i>, then GET the start link: the state and the binding cookie.
//   callbacks  (timed, all N at once) GET /v1/oauth/callback/notion?code=code-<i>&state=...:
//              the service exchanges each code at the provider and stores the integration.
//   refreshes  (timed, all N at once) POST /v1/tokens for each new integration: the tokens
//              expire in 30 s, below the default min_ttl, so each is refreshed at the provider.
//
// Each request has a TCP connection of its own, as browsers coming from a provider do. One line
// per phase: wall time (first connect to last answer), failures by kind with a few bodies,
// latency percentiles, the service seen from /proc/PID (ServiceSample). Never judged.
//
// Usage: oauth_manager_bench_flows --base http://127.0.0.1:PORT --token JWT --count N --pid PID
#include <utility>  // before Boost.Asio, whose awaitable.hpp uses std::exchange

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

using Clock = std::chrono::steady_clock;
using SystemTime = std::chrono::system_clock::time_point;
using Request = http::request<http::string_body>;
constexpr auto kTimeout = std::chrono::seconds(60);
constexpr std::size_t kExamples = 3;
constexpr std::size_t kExampleChars = 200;
constexpr int kSetupConcurrency = 200;
constexpr auto kProviderTokenLifetime = std::chrono::seconds(30);  // slow_provider.cpp's expires_in

struct Options {
  std::string host;
  std::string port;
  std::string token;
  int count = 0;
  int pid = 0;
};

struct Reply {
  int status = 0;       // 0: no HTTP answer, see failure
  std::string failure;  // "timeout", "connect: Connection refused", ...
  std::string body;
  std::string location;
  std::string cookies;  // every Set-Cookie's name=value, joined by "; " for a Cookie header
  double seconds = 0;
};

struct Flow {
  std::string state;
  std::string cookies;
  std::string integration_id;
};

// The service while a phase ran: peak threads and open descriptors, CPU seconds it used (of
// the 2 cores it shares with this driver and the provider), memory after. And this driver's CPU.
struct ServiceSample {
  int peak_threads = 0;
  int peak_fds = 0;
  double cpu_seconds = 0;
  double hwm_mb = 0;
  double rss_mb = 0;
  double driver_cpu_seconds = 0;
};

struct Tally {
  int ok = 0;
  std::map<std::string, int> failures;
  std::vector<std::string> examples;
  std::vector<double> seconds;

  void fail(const std::string& kind, const Reply& reply) {
    ++failures[kind];
    if (examples.size() < kExamples && !reply.body.empty()) {
      examples.push_back(fmt::format("{}: {}", kind, reply.body.substr(0, kExampleChars)));
    }
  }
};

// For co_spawn: a coroutine that throws ends the run (out of io.run()) instead of never counting
// its Latch down, which would wait forever.
void rethrow(const std::exception_ptr& error) {
  if (error) std::rethrow_exception(error);
}

// Waits for a number of spawned coroutines (one thread: no atomics needed).
struct Latch {
  Latch(const asio::any_io_executor& executor, std::size_t count)
      : timer(executor, Clock::time_point::max()), left(count) {}
  void count_down() {
    if (--left == 0) timer.cancel();
  }
  asio::awaitable<void> wait() {
    if (left == 0) co_return;
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  asio::steady_timer timer;
  std::size_t left;
};

// "http://host:port/a/b?c" -> "/a/b?c"
std::string path_of(std::string_view url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  return slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
}

// Not percent-decoded: the one value read, the state, is base64url (crypto::new_random_token), so
// it is sent back as it came.
std::optional<std::string> query_param(std::string_view url, std::string_view name) {
  const auto question = url.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  auto query = url.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return std::nullopt;
}

nlohmann::json parse_json(const std::string& body) {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

// "2026-11-26T16:20:44.231Z", as the service writes times.
std::optional<SystemTime> parse_time(const std::string& text) {
  std::tm utc{};
  int millis = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                  &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &millis) != 7) {
    return std::nullopt;
  }
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&utc)) + std::chrono::milliseconds(millis);
}

std::string failure_of(std::string_view step, const boost::system::error_code& error) {
  if (error == beast::error::timeout) return "timeout";
  return fmt::format("{}: {}", step, error.message());
}

Request make_request(const Options& options, http::verb verb, const std::string& target,
                     const std::string& json_body = {}) {
  Request request{verb, target, 11};
  request.set(http::field::host, options.host + ":" + options.port);
  // The service closes first: its TIME_WAIT, not ours, so 4N connections never run the
  // driver out of ephemeral ports.
  request.keep_alive(false);
  if (!json_body.empty() || verb == http::verb::post) {
    request.set(http::field::authorization, "Bearer " + options.token);
    request.set(http::field::content_type, "application/json");
    request.body() = json_body;
    request.prepare_payload();
  }
  return request;
}

// One request on a new connection, 60 s for all of it.
asio::awaitable<Reply> exchange(tcp::endpoint endpoint, Request request) {
  Reply reply;
  const auto started = Clock::now();
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(kTimeout);
  boost::system::error_code error;
  auto on_error = asio::redirect_error(asio::use_awaitable, error);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await stream.async_connect(endpoint, on_error);
  if (error) reply.failure = failure_of("connect", error);
  if (!error) co_await http::async_write(stream, request, on_error);
  if (error && reply.failure.empty()) reply.failure = failure_of("write", error);
  if (!error) co_await http::async_read(stream, buffer, response, on_error);
  if (error && reply.failure.empty()) reply.failure = failure_of("read", error);
  reply.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (error) co_return reply;
  reply.status = static_cast<int>(response.result_int());
  reply.body = std::move(response.body());
  if (auto location = response.find(http::field::location); location != response.end()) {
    reply.location = std::string(location->value());
  }
  const auto [first, last] = response.equal_range(http::field::set_cookie);
  for (auto field = first; field != last; ++field) {
    const auto value = field->value();
    if (!reply.cookies.empty()) reply.cookies += "; ";
    reply.cookies += std::string(value.substr(0, value.find(';')));
  }
  co_return reply;
}

// Untimed: a flow the callback can finish. Returns why not, or nothing.
asio::awaitable<std::optional<std::string>> set_up(const Options& options, tcp::endpoint endpoint,
                                                   int index, Flow& flow) {
  const auto body = nlohmann::json{{"user_id", fmt::format("bench-user-{}", index)}}.dump();
  auto authorized = co_await exchange(
      endpoint, make_request(options, http::verb::post, "/v1/integrations/notion/authorize", body));
  const auto answer = parse_json(authorized.body);
  if (authorized.status != 201 || !answer.contains("authorization_url")) {
    co_return fmt::format("authorize: {} {}", authorized.status, authorized.failure) + " " +
        authorized.body.substr(0, kExampleChars);
  }
  const auto start_url = answer["authorization_url"].get<std::string>();
  auto started =
      co_await exchange(endpoint, make_request(options, http::verb::get, path_of(start_url)));
  auto state = query_param(started.location, "state");
  if (started.status != 303 || !state || started.cookies.empty()) {
    co_return fmt::format("start: {} {} {}", started.status, started.failure,
                          started.body.substr(0, kExampleChars));
  }
  flow.state = std::move(*state);
  flow.cookies = std::move(started.cookies);
  co_return std::nullopt;
}

asio::awaitable<void> set_up_all(const Options& options, tcp::endpoint endpoint,
                                 std::vector<Flow>& flows) {
  const auto started = Clock::now();
  int next = 0;
  int failed = 0;
  std::vector<std::string> examples;
  const auto workers = static_cast<std::size_t>(std::min(kSetupConcurrency, options.count));
  Latch latch(co_await asio::this_coro::executor, workers);
  for (std::size_t w = 0; w < workers; ++w) {
    asio::co_spawn(
        latch.timer.get_executor(),
        [&]() -> asio::awaitable<void> {
          while (next < options.count) {
            const int index = next++;
            if (auto why = co_await set_up(options, endpoint, index, flows[index])) {
              ++failed;
              if (examples.size() < kExamples) examples.push_back(*why);
            }
          }
          latch.count_down();
        },
        rethrow);
  }
  co_await latch.wait();
  const std::chrono::duration<double> wall = Clock::now() - started;
  std::printf("setup     n=%d wall=%.2fs ok=%d failed=%d\n", options.count, wall.count(),
              options.count - failed, failed);
  for (const auto& example : examples) std::printf("  example %s\n", example.c_str());
  std::fflush(stdout);
}

// "Threads:   11" -> 11; the value in kB for VmRSS and VmHWM.
std::map<std::string, long> read_status(int pid) {
  std::map<std::string, long> values;
  std::ifstream file(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(file, line);) {
    const auto colon = line.find(':');
    const auto key = line.substr(0, colon);
    if (key == "Threads" || key == "VmRSS" || key == "VmHWM") {
      values[key] = std::stol(line.substr(colon + 1));
    }
  }
  return values;
}

// utime + stime, fields 14 and 15 of /proc/PID/stat (11 and 12 after the command's ")").
double cpu_seconds(int pid) {
  std::ifstream file(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::vector<std::string> values{std::istream_iterator<std::string>(fields), {}};
  if (values.size() < 13) return 0;
  return static_cast<double>(std::stol(values[11]) + std::stol(values[12])) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int open_files(int pid) {
  std::error_code error;
  std::filesystem::directory_iterator entries(fmt::format("/proc/{}/fd", pid), error);
  return error ? 0 : static_cast<int>(std::distance(entries, {}));
}

// Every 10 ms until running turns false, then counts the latch down (the caller's locals
// outlive it). Descriptors only every 100 ms: listing 20,000 of them is not free.
asio::awaitable<void> sample(int pid, const bool& running, ServiceSample& peaks, Latch& done) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int tick = 0; running; ++tick) {
    peaks.peak_threads =
        std::max(peaks.peak_threads, static_cast<int>(read_status(pid)["Threads"]));
    if (tick % 10 == 0) peaks.peak_fds = std::max(peaks.peak_fds, open_files(pid));
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::use_awaitable);
  }
  done.count_down();
}

using Judge = std::function<std::optional<std::string>(std::size_t index, const Reply&)>;

// Timed: every request started before the first answer can come back (one thread, no yield
// while spawning), the service sampled meanwhile.
asio::awaitable<ServiceSample> run_at_once(const Options& options, tcp::endpoint endpoint,
                                           std::vector<std::pair<std::size_t, Request>> requests,
                                           const Judge& judge, Tally& tally) {
  const auto executor = co_await asio::this_coro::executor;
  ServiceSample result;
  bool running = true;
  Latch sampled(executor, 1);
  const auto cpu_before = cpu_seconds(options.pid);
  const auto own_before = own_cpu_seconds();
  asio::co_spawn(executor, sample(options.pid, running, result, sampled), rethrow);
  Latch latch(executor, requests.size());
  for (auto& [index, request] : requests) {
    asio::co_spawn(
        executor,
        [&, index = index, request = std::move(request)]() mutable -> asio::awaitable<void> {
          const auto reply = co_await exchange(endpoint, std::move(request));
          tally.seconds.push_back(reply.seconds);
          if (reply.status == 0) {
            tally.fail(reply.failure, reply);
          } else if (auto why = judge(index, reply)) {
            tally.fail(*why, reply);
          } else {
            ++tally.ok;
          }
          latch.count_down();
        },
        rethrow);
  }
  co_await latch.wait();
  running = false;
  co_await sampled.wait();
  result.driver_cpu_seconds = own_cpu_seconds() - own_before;
  result.cpu_seconds = cpu_seconds(options.pid) - cpu_before;
  auto status = read_status(options.pid);
  result.hwm_mb = static_cast<double>(status["VmHWM"]) / 1024;
  result.rss_mb = static_cast<double>(status["VmRSS"]) / 1024;
  co_return result;
}

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto at = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  return values[at];
}

void report(const char* phase, std::size_t count, double wall, const Tally& tally,
            const ServiceSample& sample) {
  const int failed = static_cast<int>(count) - tally.ok;
  std::printf(
      "%-9s n=%zu wall=%.2fs ok=%d failed=%d p50=%.3fs p99=%.3fs max=%.3fs peak_threads=%d "
      "peak_fds=%d peak_rss_mb=%.1f rss_mb=%.1f cpu=%.1fs driver_cpu=%.1fs\n",
      phase, count, wall, tally.ok, failed, percentile(tally.seconds, 0.5),
      percentile(tally.seconds, 0.99), percentile(tally.seconds, 1.0), sample.peak_threads,
      sample.peak_fds, sample.hwm_mb, sample.rss_mb, sample.cpu_seconds, sample.driver_cpu_seconds);
  for (const auto& [kind, times] : tally.failures) {
    std::printf("  failed %dx: %s\n", times, kind.c_str());
  }
  for (const auto& example : tally.examples) std::printf("  example %s\n", example.c_str());
  std::fflush(stdout);
}

// An answer with a status other than the expected one, or without the member it must have.
std::optional<std::string> unexpected(const Reply& reply, int status, const nlohmann::json& json,
                                      bool has_member) {
  if (reply.status != status) return fmt::format("http {}", reply.status);
  if (json.is_discarded() || !has_member) return fmt::format("http {} without the result", status);
  return std::nullopt;
}

template <typename MakeRequest>
asio::awaitable<void> timed_phase(const Options& options, tcp::endpoint endpoint, const char* name,
                                  std::vector<Flow>& flows, bool (*ready)(const Flow&),
                                  MakeRequest make, const Judge& judge) {
  std::vector<std::pair<std::size_t, Request>> requests;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    if (ready(flows[i])) requests.emplace_back(i, make(i, flows[i]));
  }
  Tally tally;
  const auto count = requests.size();
  const auto started = Clock::now();
  const auto sample = co_await run_at_once(options, endpoint, std::move(requests), judge, tally);
  const std::chrono::duration<double> wall = Clock::now() - started;
  report(name, count, wall.count(), tally, sample);
}

asio::awaitable<void> run(const Options& options, tcp::endpoint endpoint) {
  std::vector<Flow> flows(static_cast<std::size_t>(options.count));
  co_await set_up_all(options, endpoint, flows);

  co_await timed_phase(
      options, endpoint, "callbacks", flows, [](const Flow& f) { return !f.state.empty(); },
      [&](std::size_t i, const Flow& flow) {
        auto request = make_request(
            options, http::verb::get,
            fmt::format("/v1/oauth/callback/notion?code=code-{}&state={}", i, flow.state));
        request.set(http::field::cookie, flow.cookies);
        return request;
      },
      [&](std::size_t i, const Reply& reply) {
        const auto json = parse_json(reply.body);
        const bool has = !json.is_discarded() && json.contains("status") &&
                         json["status"] == "connected" && json.contains("integration") &&
                         json["integration"].contains("id");
        auto why = unexpected(reply, 200, json, has);
        if (!why) flows[i].integration_id = json["integration"]["id"].get<std::string>();
        return why;
      });

  // Every token from a callback was issued before this, so expires before it plus the lifetime.
  const auto before_refreshes = std::chrono::system_clock::now();
  co_await timed_phase(
      options, endpoint, "refreshes", flows,
      [](const Flow& f) { return !f.integration_id.empty(); },
      [&](std::size_t, const Flow& flow) {
        return make_request(options, http::verb::post, "/v1/tokens",
                            nlohmann::json{{"integration_id", flow.integration_id}}.dump());
      },
      [&](std::size_t, const Reply& reply) -> std::optional<std::string> {
        const auto json = parse_json(reply.body);
        const bool has = !json.is_discarded() && json.contains("access_token") &&
                         json.contains("expires_at") && json["expires_at"].is_string();
        if (auto why = unexpected(reply, 200, json, has)) return why;
        // A refresh that failed at the provider still hands out the old token while it lasts.
        const auto expires = parse_time(json["expires_at"].get<std::string>());
        if (expires && *expires >= before_refreshes + kProviderTokenLifetime) return std::nullopt;
        return "http 200 with the old token: not refreshed";
      });
}

// Up to the hard limit: N concurrent requests are N sockets.
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

std::optional<Options> parse_options(int argc, char** argv) {
  std::map<std::string, std::string> given;
  for (int i = 1; i + 1 < argc; i += 2) given[argv[i]] = argv[i + 1];
  for (const auto* name : {"--base", "--token", "--count", "--pid"}) {
    if (given.count(name) == 0) return std::nullopt;
  }
  auto base = given["--base"];  // http://HOST:PORT
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  const auto colon = base.rfind(':');
  if (argc != 9 || base.rfind("http://", 0) != 0 || colon < 7) return std::nullopt;
  return Options{base.substr(7, colon - 7), base.substr(colon + 1), given["--token"],
                 std::stoi(given["--count"]), std::stoi(given["--pid"])};
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr, "usage: %s --base http://127.0.0.1:PORT --token JWT --count N --pid PID\n",
                 argv[0]);
    return 2;
  }
  raise_file_limit();
  asio::io_context io(1);
  tcp::resolver resolver(io);
  const tcp::endpoint endpoint = *resolver.resolve(options->host, options->port).begin();
  asio::co_spawn(io, run(*options, endpoint), rethrow);
  io.run();
}
