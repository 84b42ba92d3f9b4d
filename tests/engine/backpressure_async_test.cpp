// Bounded edges (a slow sink never holds more than its buffer plus a little) and blocking I/O
// nodes (concurrency: 32 keeps exactly 32 bodies in flight on a 2-core machine). Counts, never times.
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <utility>

#include "tests/engine/test_nodes.hpp"

using namespace flowrun;
using namespace flowrun::testing;

TEST_CASE("bounded edge: a slow sink with buffer 16 never queues much more than 16", "[run][backpressure]") {
  reset_observations();
  auto s = run_checked(load_ok(R"(nodes:
  src: {type: counter, count: 5000}
  sink: {type: slow_sink, us: 30, buffer: 16, inputs: [src]}
)"), test_registry());
  CHECK(node(s, "sink").in == 5000);
  CHECK(node(s, "sink").buffer == 16);
  // one source checks then emits, so it can overshoot by at most one record
  CHECK(node(s, "sink").max_queued <= 16 + 1);
  CHECK(node(s, "sink").max_queued >= 8);  // and the buffer was really used (the sink is slow)
}

TEST_CASE("bounded edge through a chain: every buffer in the path bounds the sink", "[run][backpressure]") {
  reset_observations();
  auto s = run_checked(load_ok(R"(buffer: 16
nodes:
  src: {type: counter, count: 5000}
  t: {type: pass, inputs: [src]}
  sink: {type: slow_sink, us: 30, inputs: [t]}
)"), test_registry());
  CHECK(node(s, "sink").in == 5000);
  // The source counts what is inside the transform against the sink's buffer too (the transform
  // is fast and would pour its queue into the slow sink), so each edge holds its buffer at most.
  CHECK(node(s, "sink").max_queued <= 16 + 1);
  CHECK(node(s, "t").max_queued <= 16 + 1);
  CHECK(node(s, "sink").max_queued >= 8);  // and the sink's buffer was really used
}

TEST_CASE("bounded edge into a blocking-I/O sink", "[run][backpressure]") {
  reset_observations();
  auto s = run_checked(load_ok(R"(nodes:
  src: {type: counter, count: 3000}
  sink: {type: slow_io_sink, us: 30, buffer: 16, concurrency: 4, inputs: [src]}
)"), test_registry());
  CHECK(node(s, "sink").in == 3000);
  CHECK(node(s, "sink").max_queued <= 16 + 1);
}

TEST_CASE("two sources into one slow sink stay bounded too", "[run][backpressure]") {
  reset_observations();
  auto s = run_checked(load_ok(R"(nodes:
  a: {type: counter, count: 2500}
  b: {type: counter, count: 2500}
  sink: {type: slow_sink, us: 30, buffer: 16, inputs: [a, b]}
)"), test_registry());
  CHECK(node(s, "sink").in == 5000);
  CHECK(node(s, "sink").max_queued <= 16 + 2);  // each source may overshoot by one
}

TEST_CASE("a blocking_io node with concurrency 32 keeps exactly 32 bodies in flight", "[run][async]") {
  reset_observations();
  // 320 records x 100 ms / 32 = about 1 s
  auto s = run_checked(load_ok(R"(nodes:
  src: {type: counter, count: 320}
  io: {type: sleepy, ms: 100, concurrency: 32, inputs: [src]}
  sink: {type: capture, inputs: [io]}
)"), test_registry());
  CHECK(node(s, "sink").in == 320);
  CHECK(node(s, "io").max_in_flight == 32);
  std::lock_guard lock(obs().mu);
  CHECK(obs().max_concurrent.at("io") == 32);
  // on 32 threads of the node's own: more than oneTBB has workers on this machine
  CHECK(obs().threads.at("io").size() == 32);
}

// Runs `count` records through a CPU node that sleeps 20 ms per record with `concurrency`;
// returns how many of its bodies were in flight at once and on how many threads they ran.
std::pair<int, std::size_t> run_cpu_sleepy(int count, int concurrency) {
  reset_observations();
  auto s = run_checked(load_ok("nodes:\n  src: {type: counter, count: " + std::to_string(count) +
                               "}\n  cpu: {type: cpu_sleepy, ms: 20, concurrency: " + std::to_string(concurrency) +
                               ", inputs: [src]}\n  sink: {type: capture, inputs: [cpu]}\n"),
                       test_registry());
  CHECK(node(s, "sink").in == count);
  std::lock_guard lock(obs().mu);
  return {obs().max_concurrent.at("cpu"), obs().threads.at("cpu").size()};
}

TEST_CASE("control: the same sleep in a CPU node is limited by the oneTBB workers", "[run][async]") {
  // Shows the test above can fail: without blocking_io the bodies occupy TBB workers, of which
  // a 2-core machine has about 2, so 32 are never in flight at once.
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores >= 32) {
    SUCCEED("too many cores for this control to mean anything");
    return;
  }
  const auto [at_once, threads] = run_cpu_sleepy(64, 32);
  CHECK(at_once <= static_cast<int>(cores));
  CHECK(threads <= static_cast<std::size_t>(cores));
}

TEST_CASE("a CPU node with concurrency 2 runs two bodies at once while its source runs", "[run][async]") {
  // The graph's arena keeps no slot for the main thread (it waits in the completion loop), so on
  // two cores both workers take bodies; with oneTBB's default one core went unused.
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  CHECK(run_cpu_sleepy(16, 2).first == std::min(2, cores));
}

TEST_CASE("concurrency: 1 on a blocking_io node means one body at a time", "[run][async]") {
  reset_observations();
  auto s = run_checked(load_ok(R"(nodes:
  src: {type: counter, count: 10}
  io: {type: sleepy, ms: 10, inputs: [src]}
  sink: {type: capture, inputs: [io]}
)"), test_registry());
  CHECK(node(s, "sink").in == 10);
  std::lock_guard lock(obs().mu);
  CHECK(obs().max_concurrent.at("io") == 1);
}
