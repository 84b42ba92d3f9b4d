// The limiter on its own: on a simulated server with K slots (queueing or answering 429) it finds
// K, follows K when it moves, stays within its bounds, and the feedback path (permits held by
// bodies, handed back during waits) behaves as documented.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <sstream>
#include <cmath>
#include <thread>

#include "engine/adaptive_feedback.hpp"
#include "sim_server.hpp"

using namespace flowrun;
using namespace flowrun::testing;

namespace {

AdaptiveBounds bounds(int min, int max, int initial) { return AdaptiveBounds{min, max, initial}; }

double ideal(const SimServer& s) { return s.capacity / std::chrono::duration<double>(s.latency).count(); }

}  // namespace

TEST_CASE("adaptive limit finds the capacity of a server that queues or answers 429", "[adaptive]") {
  for (bool reject : {false, true})
    for (int k : {2, 8, 32}) {
      AdaptiveLimit limit("sim", bounds(1, 64, 1));
      SimServer server{k, reject, 20ms};
      Sim sim(limit, server);
      INFO("capacity " << k << (reject ? ", 429 beyond it" : ", queueing beyond it"));
      sim.run(10s);  // converging
      auto c = sim.run(20s);
      INFO("ok/s " << c.ok_per_s() << " of ideal " << ideal(server) << ", limit " << c.min_limit << ".."
                   << c.max_limit << ", 429s " << c.rejected << " of " << c.ok + c.rejected);
      CHECK(c.ok_per_s() >= 0.9 * ideal(server));
      CHECK(c.rejected_fraction() < 0.01);
      // Queueing is not free: the 1.5x latency tolerance keeps the queue short.
      if (!reject) CHECK(c.max_limit <= 2 * k + 2);
    }
}

TEST_CASE("adaptive limit converges within seconds from the floor", "[adaptive]") {
  for (bool reject : {false, true}) {
    AdaptiveLimit limit("sim", bounds(1, 64, 1));
    SimServer server{32, reject, 20ms};
    Sim sim(limit, server);
    sim.run(2s);
    INFO((reject ? "429" : "queue") << ": limit after 2 s " << limit.limit());
    CHECK(limit.limit() >= 29);
  }
}

TEST_CASE("adaptive limit follows the capacity down and up again (32 -> 4 -> 32)", "[adaptive]") {
  for (bool reject : {false, true}) {
    AdaptiveLimit limit("sim", bounds(1, 64, 4));
    Sim sim(limit, SimServer{32, reject, 20ms});
    INFO((reject ? "429 beyond capacity" : "queueing beyond capacity"));
    sim.run(5s);
    auto high = sim.run(5s);
    sim.server().capacity = 4;
    sim.run(5s);
    auto low = sim.run(5s);
    sim.server().capacity = 32;
    sim.run(10s);
    auto again = sim.run(5s);
    INFO("ok/s at 32: " << high.ok_per_s() << ", at 4: " << low.ok_per_s() << ", at 32 again: " << again.ok_per_s());
    CHECK(high.ok_per_s() >= 0.9 * 1600);
    CHECK(low.ok_per_s() >= 0.9 * 200);
    CHECK(low.max_limit <= 10);  // a short queue: the 1.5x tolerance, and the window it takes to see it
    CHECK(low.rejected_fraction() < 0.01);
    CHECK(again.ok_per_s() >= 0.9 * 1600);
    CHECK(again.rejected_fraction() < 0.01);
  }
}

TEST_CASE("adaptive limit tolerates round trips that vary from request to request", "[adaptive]") {
  // An LLM: answers take a log-normal time around 1 s (a third take under 0.6 s or over 1.6 s),
  // so a window of a few answers can look twice as slow as the last with no queue at all.
  for (bool reject : {false, true}) {
    AdaptiveLimit limit("sim", bounds(1, 64, 2));
    SimServer server{8, reject, 1s};
    server.lognormal_sigma = 0.7;
    Sim sim(limit, server);
    sim.run(300s);
    auto c = sim.run(600s);
    const double ideal = 8 / std::exp(0.7 * 0.7 / 2);  // K / the mean answer time
    INFO((reject ? "429" : "queue") << ": ok/s " << c.ok_per_s() << " of " << ideal << ", limit " << c.min_limit
                                    << ".." << c.max_limit);
    CHECK(c.ok_per_s() >= 0.85 * ideal);
    CHECK(c.rejected_fraction() < 0.01);
  }
}

TEST_CASE("adaptive limit stays within min and max", "[adaptive]") {
  SECTION("never above max, however fast the server") {
    AdaptiveLimit limit("sim", bounds(2, 6, 3));
    Sim sim(limit, SimServer{100, false, 20ms});
    CHECK(limit.limit() == 3);
    auto c = sim.run(10s);
    CHECK(c.max_limit == 6);
    CHECK(limit.snapshot().peak_in_flight == 6);
  }
  SECTION("never below min, however slow") {
    AdaptiveLimit limit("sim", bounds(3, 64, 10));
    Sim sim(limit, SimServer{1, false, 20ms});
    auto c = sim.run(10s);
    CHECK(c.min_limit == 3);
  }
}

TEST_CASE("a server that goes down shrinks the limit to min, not to zero, and it comes back", "[adaptive]") {
  AdaptiveLimit limit("sim", bounds(1, 64, 1));
  Sim sim(limit, SimServer{16, false, 20ms});
  sim.run(5s);
  REQUIRE(limit.limit() >= 15);
  sim.server().down = true;
  auto down = sim.run(5s);
  CHECK(down.min_limit == 1);  // min, and still asking: a permit is always there to try again
  CHECK(down.failed > 100);
  sim.server().down = false;
  auto back = sim.run(2s);
  INFO("limit 2 s after the server came back: " << limit.limit());
  CHECK(limit.limit() >= 15);
  CHECK(back.ok_per_s() >= 0.6 * 800);
}

TEST_CASE("answers to requests sent before a cut do not cut again", "[adaptive]") {
  AdaptiveLimit limit("sim", bounds(1, 64, 32));
  auto t0 = SimClock::now();
  for (int i = 0; i < 4; ++i) {  // the first window, at min, times the server unloaded
    REQUIRE(limit.try_acquire());
    limit.record(Signal::ok, t0, t0 + 20ms);
    limit.release();
    t0 += 20ms;
  }
  REQUIRE(limit.limit() == 32);
  for (int i = 0; i < 32; ++i) REQUIRE(limit.try_acquire());
  // (no request_started: this test is about cuts, and the window never needs to grow)
  // All 32 were sent at t0; the server refuses them one after another.
  for (int i = 0; i < 32; ++i) {
    limit.record(Signal::overloaded, t0, t0 + std::chrono::milliseconds(1 + i));
    limit.release();
  }
  CHECK(limit.limit() == 16);  // halved once, not 32 times
  CHECK(limit.snapshot().backpressure == 32);
}

TEST_CASE("body samples teach nothing once the node has made a real request", "[adaptive]") {
  AdaptiveLimit limit("store", bounds(1, 64, 2));
  auto t = SimClock::now();
  // Fast bodies (cache hits) while saturated would grow the limit ...
  for (int i = 0; i < 200; ++i) {
    int held = 0;
    while (limit.try_acquire()) ++held;  // every permit busy: the limit is what holds them back
    for (int j = 0; j < held; ++j) {
      limit.record(Signal::ok, t, t + 100us, AdaptiveLimit::Source::body);
      limit.release();
    }
    t += 100us;
  }
  CHECK(limit.limit() > 2);
  // ... but the first request starts learning again from the initial limit, and from then on
  // body samples are ignored.
  limit.record(Signal::ok, t, t + 20ms);
  CHECK(limit.limit() == 1);  // its first window times the server unloaded
  t += 20ms;
  for (int i = 0; i < 3; ++i, t += 20ms) limit.record(Signal::ok, t, t + 20ms);
  CHECK(limit.limit() == 2);
  const auto before = limit.snapshot().samples;
  limit.record(Signal::ok, t, t + 1ms, AdaptiveLimit::Source::body);
  CHECK(limit.snapshot().samples == before);
}

TEST_CASE("HTTP statuses map to signals", "[adaptive]") {
  CHECK(signal_of_status(200) == Signal::ok);
  CHECK(signal_of_status(404) == Signal::ok);
  CHECK(signal_of_status(429) == Signal::overloaded);
  CHECK(signal_of_status(503) == Signal::overloaded);
  CHECK(signal_of_status(504) == Signal::failed);
  CHECK(signal_of_status(500) == Signal::neutral);
  CHECK(signal_of_status(0) == Signal::neutral);
}

TEST_CASE("a body holds one permit and hands it back while it waits", "[adaptive]") {
  AdaptiveLimit limit("node", bounds(1, 1, 1));
  std::atomic<int> stage{0};
  std::thread body([&] {
    AdaptiveBodyScope permit(&limit);
    stage = 1;
    while (stage != 2) std::this_thread::yield();
    {
      AdaptiveWait waiting;  // e.g. a Retry-After: the permit is free meanwhile
      stage = 3;
      while (stage != 4) std::this_thread::yield();
    }
    stage = 5;
  });
  while (stage != 1) std::this_thread::yield();
  CHECK_FALSE(limit.try_acquire());  // the body holds the only permit
  stage = 2;
  while (stage != 3) std::this_thread::yield();
  REQUIRE(limit.try_acquire());  // free while the body waits
  stage = 4;
  std::this_thread::sleep_for(20ms);
  CHECK(stage == 4);  // the body cannot go on until the permit is back
  limit.release();
  body.join();
  CHECK(stage == 5);
  CHECK(limit.snapshot().in_flight == 0);
  CHECK(limit.snapshot().samples == 1);  // no request was reported, so the body itself was the sample
}

TEST_CASE("on a source's thread every attempt takes a permit of its own", "[adaptive]") {
  AdaptiveLimit limit("src", bounds(1, 4, 1));
  AdaptiveSourceScope scope(&limit);
  {
    AdaptiveAttempt attempt;
    CHECK(limit.snapshot().in_flight == 1);
    attempt.finish(Signal::ok);
  }
  CHECK(limit.snapshot().in_flight == 0);
  CHECK(limit.snapshot().samples == 1);
  {
    AdaptiveWait not_holding;  // a source holds nothing between attempts: nothing to hand back
    CHECK(limit.snapshot().in_flight == 0);
  }
}

TEST_CASE("once a source's scope ends its thread reports to no limit", "[adaptive]") {
  AdaptiveLimit limit("src", bounds(1, 4, 1));
  { AdaptiveSourceScope scope(&limit); }
  {
    AdaptiveAttempt attempt;
    CHECK(limit.snapshot().in_flight == 0);
    attempt.finish(Signal::overloaded);
    AdaptiveWait wait;
  }
  CHECK(limit.snapshot().samples == 0);
  CHECK(limit.snapshot().backpressure == 0);
}

namespace {

// llama-server on a CPU: K slots share the CPU (all of it is used from one request on; batching
// several buys a little: n slots together get n^gain the work done of one), and requests beyond
// K wait for a slot. Round trips rise with every request in flight, in the slots or in the queue
// alike, and throughput is nearly flat: only the server's own time per request (from taking it
// into a slot to its last token, as its timings say) tells the queue apart. Stepped at 1 ms.
struct SharedCpuRun {
  double ok_per_s = 0;
  int median_limit = 0, min_limit = 0, max_limit = 0;
};

SharedCpuRun shared_cpu_run(AdaptiveLimit* limit, int fixed, int k, double gain, bool report_service,
                            std::chrono::seconds settle, std::chrono::seconds measure) {
  struct Req {
    SimClock::time_point sent, in_slot{};
    double work = 0;  // seconds of one slot alone
  };
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> work(std::log(0.25), 0.5);
  std::vector<Req> slots;
  std::deque<Req> queue;
  auto now = SimClock::time_point{} + std::chrono::hours(1);
  const auto measure_from = now + settle, until = measure_from + measure;
  int in_flight = 0;
  std::int64_t ok = 0;
  std::vector<int> limits;
  for (int step = 0; now < until; ++step) {
    for (;;) {  // the client always has work: it sends whenever it may
      if (limit ? !limit->try_acquire() : in_flight >= fixed) break;
      ++in_flight;
      if (limit) limit->request_started();
      queue.push_back({now, {}, work(rng)});
    }
    while (static_cast<int>(slots.size()) < k && !queue.empty()) {
      slots.push_back(queue.front());
      slots.back().in_slot = now;
      queue.pop_front();
    }
    now += 1ms;
    const double n = static_cast<double>(slots.size());
    const double each = n > 0 ? std::pow(n, gain) / n * 0.001 : 0;  // work done per slot this step
    for (std::size_t i = 0; i < slots.size();) {
      slots[i].work -= each;
      if (slots[i].work > 0) {
        ++i;
        continue;
      }
      const Req r = slots[i];
      slots.erase(slots.begin() + static_cast<long>(i));
      --in_flight;
      if (now >= measure_from) ++ok;
      if (limit) {
        limit->record(Signal::ok, r.sent, now);
        if (report_service)
          limit->record_service(r.sent, now, std::chrono::duration_cast<std::chrono::microseconds>(now - r.in_slot));
        limit->request_ended();
        limit->release();
      }
    }
    if (limit && now >= measure_from && step % 100 == 0) limits.push_back(limit->limit());
  }
  SharedCpuRun out;
  out.ok_per_s = static_cast<double>(ok) / std::chrono::duration<double>(measure).count();
  if (!limits.empty()) {
    std::vector<int> v = limits;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    out.median_limit = v[v.size() / 2];
    out.min_limit = *std::min_element(limits.begin(), limits.end());
    out.max_limit = *std::max_element(limits.begin(), limits.end());
  }
  return out;
}

}  // namespace

TEST_CASE("adaptive limit fills the slots of a server that shares one CPU among them, and queues little",
          "[adaptive]") {
  for (int k : {4, 8}) {
    for (double gain : {0.0, 0.3}) {
      double best = 0;
      int best_c = 0;
      for (int c : {1, 2, k, 2 * k}) {
        const double r = shared_cpu_run(nullptr, c, k, gain, true, 10s, 120s).ok_per_s;
        if (r > best) best = r, best_c = c;
      }
      AdaptiveLimit limit("sim", bounds(1, 64, 1));
      auto a = shared_cpu_run(&limit, 0, k, gain, true, 60s, 240s);
      std::ostringstream what;
      what << "K " << k << ", batching gain " << gain << ": adaptive " << a.ok_per_s << "/s, limit median "
           << a.median_limit << " (" << a.min_limit << ".." << a.max_limit << "); best fixed " << best << "/s at "
           << best_c;
      INFO(what.str());
      CHECK(a.ok_per_s >= 0.95 * best);
      CHECK(a.median_limit >= k);
      CHECK(a.median_limit <= k + k / 2);
    }
  }
}
