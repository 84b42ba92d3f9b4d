// Rate-limit benchmark: several threads push requests through the HTTP client into the fake
// assessor under one shared RateLimiter, for a fixed time. Reports achieved / configured rate
// and the largest number of requests the server saw in any window of the limit's length.
// Two scenarios run side by side: the bare window (bursty) and the same window with min_delay
// (smooth). Output is Markdown for docs/benchmarks/rate-limit.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "engine/resources.hpp"
#include "nodes/http/http_client.hpp"
#include "tools/fixtures/assessor/assessor_server.hpp"

using namespace std::chrono;
using SteadyClock = steady_clock;

struct Result {
  std::string name;
  long requests = 0;
  double seconds = 0;
  int max_window = 0;         // at the server (arrival times)
  int max_window_grants = 0;  // in the client, right after RateLimiter::acquire() returned
  long errors = 0;
};

// Largest count in any half-open window [t, t + per) starting at an event (sorted input).
static int max_in_window(const std::vector<SteadyClock::time_point>& ts, milliseconds per) {
  int best = 0;
  std::size_t j = 0;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    j = std::max(j, i);
    while (j < ts.size() && ts[j] - ts[i] < per) ++j;
    best = std::max(best, static_cast<int>(j - i));
  }
  return best;
}

static Result scenario(const std::string& name, int count, milliseconds per, milliseconds min_delay,
                       seconds duration, int threads) {
  flowrun::fixtures::AssessorServer server;
  std::mutex mu;
  std::vector<SteadyClock::time_point> arrivals;
  server.on_request([&](const httplib::Request&) {
    auto now = SteadyClock::now();
    std::lock_guard lock(mu);
    arrivals.push_back(now);
  });
  server.start();
  flowrun::RateLimiter limiter(name, count, per, min_delay);
  flowrun::http::ClientOptions o;
  o.rate_limit = &limiter;
  std::vector<SteadyClock::time_point> grants;
  // The client counts "http.attempts" right after acquire() returns: that is the grant time.
  o.count = [&](const std::string& what, double) {
    if (what != "http.attempts") return;
    auto now = SteadyClock::now();
    std::lock_guard lock(mu);
    grants.push_back(now);
  };
  auto t0 = SteadyClock::now();
  auto end = t0 + duration;
  o.cancelled = [&] { return SteadyClock::now() >= end; };
  flowrun::http::Client client(o);
  const auto& parcels = server.data().zip("85031");
  std::atomic<long> errors{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t i = t; SteadyClock::now() < end; i += threads) {
        try {
          auto r = client.get(server.base_url() + "/parcel/" + parcels[i % parcels.size()].apn + "/address",
                              {{"AUTHORIZATION", "fixture-key"}});
          if (r.status != 200) errors++;
        } catch (const flowrun::http::TransportError&) {
          if (SteadyClock::now() < end) errors++;  // cancellation at the end is expected
        }
      }
    });
  for (auto& th : pool) th.join();
  server.stop();
  Result res;
  res.name = name;
  res.errors = errors;
  res.seconds = duration_cast<milliseconds>(duration).count() / 1000.0;
  std::sort(arrivals.begin(), arrivals.end());
  res.requests = static_cast<long>(arrivals.size());
  res.max_window = max_in_window(arrivals, per);
  std::sort(grants.begin(), grants.end());
  res.max_window_grants = max_in_window(grants, per);
  return res;
}

int main(int argc, char** argv) {
  int count = 600, secs = 120, threads = 4;
  double per_s = 60, min_delay_ms = 100;
  CLI::App app{"flowrun rate-limit benchmark against the fake assessor on 127.0.0.1"};
  app.add_option("--count", count, "requests allowed per window")->capture_default_str();
  app.add_option("--per", per_s, "window length in seconds")->capture_default_str();
  app.add_option("--seconds", secs, "how long each scenario runs")->capture_default_str();
  app.add_option("--threads", threads, "client threads sharing the limiter")->capture_default_str();
  app.add_option("--min-delay-ms", min_delay_ms, "min_delay of the smooth scenario")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto per = milliseconds(static_cast<long>(per_s * 1000));
  Result a, b;
  std::thread ta([&] { a = scenario("window only", count, per, {}, seconds(secs), threads); });
  std::thread tb([&] {
    b = scenario("window + min_delay " + std::to_string(static_cast<int>(min_delay_ms)) + " ms", count, per,
                 milliseconds(static_cast<long>(min_delay_ms)), seconds(secs), threads);
  });
  ta.join();
  tb.join();
  double configured = count / (per_s / 60.0);  // per minute
  std::cout << "| scenario | limit | run | requests | achieved / min | achieved / configured | largest count in any "
            << per_s << " s window: grants (client) | same, arrivals (server) | errors |\n"
            << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : {a, b}) {
    double per_min = r.requests / (r.seconds / 60.0);
    std::printf("| %s | %d per %.0f s | %.0f s, %d threads | %ld | %.1f | %.3f | %d | %d | %ld |\n", r.name.c_str(),
                count, per_s, r.seconds, threads, r.requests, per_min, per_min / configured, r.max_window_grants,
                r.max_window, r.errors);
  }
  return (a.max_window_grants <= count && b.max_window_grants <= count) ? 0 : 1;
}
