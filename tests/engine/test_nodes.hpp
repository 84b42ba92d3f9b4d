// Node types registered only by the engine tests, so that every engine behaviour can be driven
// and observed without files or servers: a counting source, failing/filtering/port transforms, a
// blocking sleeper that counts its concurrency, a slow sink and a capturing sink.
#pragma once
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/pipeline.hpp"
#include "tests/shared/run_checks.hpp"

namespace flowrun::testing {

// What the test nodes saw, reset by each test with reset_observations().
struct Observations {
  std::mutex mu;
  std::map<std::string, std::vector<Record>> captured;  // capture sink id -> records, in arrival order
  std::map<std::string, std::int64_t> first_event, last_event;  // node id -> global event number
  std::map<std::string, int> max_concurrent;            // sleepy/cpu_sleepy id -> max bodies at once
  std::map<std::string, std::set<std::thread::id>> threads;  // sleepy id -> threads its bodies ran on
};
Observations& obs();
void reset_observations();
// A global, monotonically increasing event counter (orders things across threads without clocks).
std::int64_t next_event();

// Registry with the file node family plus: counter, ticker (sources); pass, throw_if, filter_odd,
// split, tally, sleepy (blocking_io), cpu_sleepy (transforms); capture, slow_sink,
// miscounting_sink (sinks; the last one's counts never add up, on purpose).
const Registry& test_registry();

// Loads YAML text as file "t.yaml"; returns the result (diagnostics included).
LoadResult load(const std::string& yaml, const LoadOptions& opts = {});
// Loads and requires no errors (fails the test with every diagnostic otherwise).
Graph load_ok(const std::string& yaml, const LoadOptions& opts = {});
// Every diagnostic as "file:line:col: error: message", one per line.
std::string all_diagnostics(const LoadResult& r);

const NodeSummary& node(const RunSummary& s, const std::string& id);

}  // namespace flowrun::testing
