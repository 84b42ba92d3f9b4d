// The limiter on its own: on a simulated server with K slots (queueing or answering 429) it finds
// K, follows K when it moves, stays within its bounds, and the feedback path (permits held by
// bodies, handed back during waits) behaves as documented.
#include <catch2/catch.hpp>

#include <atomic>
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
