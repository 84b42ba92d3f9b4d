// A server with K slots on a simulated clock, driven through an AdaptiveLimit by a client that
// always has work (it sends whenever the limit gives a permit). Beyond K the server either queues
// (the request waits for a slot, so its round trip grows) or answers 429 at once. Deterministic
// and fast: 30 simulated seconds take milliseconds, so the limiter's decisions can be tested
// over many round trips without a network or a timer.
#pragma once
#include <chrono>
#include <deque>
#include <functional>
#include <queue>
#include <random>
#include <vector>

#include "engine/adaptive_limit.hpp"

namespace flowrun::testing {

using namespace std::chrono_literals;
using SimClock = AdaptiveLimit::Clock;

struct SimServer {
  int capacity = 8;
  bool reject = false;                        // beyond capacity: 429 (else: queue)
  std::chrono::microseconds latency = 20ms;   // per request once it has a slot
  double jitter = 0;                          // latency varies uniformly by +-jitter (0.2 = 20%)
  double lognormal_sigma = 0;                 // or: latency x a log-normal factor of median 1
  bool down = false;                          // every request fails (connection refused)
};

struct SimCounts {
  std::int64_t ok = 0, rejected = 0, failed = 0;
  double seconds = 0;
  int min_limit = 1 << 30, max_limit = 0;
  double ok_per_s() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
  double rejected_fraction() const {
    auto all = ok + rejected;
    return all > 0 ? static_cast<double>(rejected) / static_cast<double>(all) : 0;
  }
};

class Sim {
 public:
  explicit Sim(AdaptiveLimit& limit, SimServer server) : limit_(limit), server_(server) {}

  SimServer& server() { return server_; }
  SimClock::time_point now() const { return now_; }

  // Runs for `d` of simulated time; counts what happened in it.
  SimCounts run(std::chrono::microseconds d) {
    SimCounts c;
    const auto until = now_ + d;
    for (;;) {
      while (limit_.try_acquire()) {
        limit_.request_started();
        send();
      }
      c.min_limit = std::min(c.min_limit, limit_.limit());
      c.max_limit = std::max(c.max_limit, limit_.limit());
      if (events_.empty() || events_.top().at > until) break;
      Event e = events_.top();
      events_.pop();
      now_ = e.at;
      if (e.served) finish_slot();
      limit_.record(e.signal, e.start, e.at);
      limit_.request_ended();
      limit_.release();
      (e.signal == Signal::ok ? c.ok : e.signal == Signal::overloaded ? c.rejected : c.failed)++;
    }
    now_ = until;
    c.seconds = std::chrono::duration<double>(d).count();
    return c;
  }

 private:
  struct Event {
    SimClock::time_point at, start;
    Signal signal;
    bool served;
    bool operator>(const Event& o) const { return at > o.at; }
  };

  std::chrono::microseconds service_time() {
    if (server_.lognormal_sigma > 0) {
      std::lognormal_distribution<double> d(0, server_.lognormal_sigma);
      return std::chrono::microseconds(static_cast<std::int64_t>(server_.latency.count() * d(rng_)));
    }
    if (server_.jitter == 0) return server_.latency;
    std::uniform_real_distribution<double> d(1 - server_.jitter, 1 + server_.jitter);
    return std::chrono::microseconds(static_cast<std::int64_t>(server_.latency.count() * d(rng_)));
  }

  void send() {
    if (server_.down) return push({now_ + 1ms, now_, Signal::failed, false});
    if (busy_ < server_.capacity) {
      ++busy_;
      return push({now_ + service_time(), now_, Signal::ok, true});
    }
    if (server_.reject) return push({now_ + 200us, now_, Signal::overloaded, false});
    waiting_.push_back(now_);
  }

  // A slot freed: the oldest queued request starts now (its round trip counts from when it was sent).
  void finish_slot() {
    --busy_;
    while (!waiting_.empty() && busy_ < server_.capacity) {
      ++busy_;
      push({now_ + service_time(), waiting_.front(), Signal::ok, true});
      waiting_.pop_front();
    }
  }

  void push(Event e) { events_.push(e); }

  AdaptiveLimit& limit_;
  SimServer server_;
  SimClock::time_point now_ = SimClock::time_point{} + std::chrono::hours(1);
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::deque<SimClock::time_point> waiting_;
  int busy_ = 0;
  std::mt19937_64 rng_{42};
};

}  // namespace flowrun::testing
