// Per-node counters and latency, and the end-of-run summary built from them.
#pragma once
#include <boost/json.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/striped_counter.hpp"

namespace flowrun {

// Log-scale latency histogram (microseconds), lock-free to record; percentiles are approximate
// to the bucket (about 19% wide), which is plenty for p50/p95 in a summary.
class LatencyHistogram {
 public:
  static constexpr int kBuckets = 96;
  void record(std::int64_t micros);
  double percentile_ms(double p) const;  // 0 < p <= 1
  std::int64_t count() const;
  // Upper bound (µs) of bucket i; for Prometheus buckets.
  static double bucket_upper_us(int i);
  std::int64_t bucket_count(int i) const { return buckets_[i].load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::int64_t>, kBuckets> buckets_{};
};

class AdaptiveLimit;

// An adaptive concurrency limit at one moment (concurrency: adaptive; engine/adaptive_limit.hpp).
struct AdaptiveSummary {
  std::string name;  // the node id, or the resources.concurrency entry the node shares
  int limit = 0, min = 0, max = 0, in_flight = 0, peak_in_flight = 0;
  std::int64_t samples = 0, increases = 0, decreases = 0, backpressure = 0;
  double rtt_ms = 0, base_rtt_ms = 0;  // smoothed and no-load round trip
  boost::json::object to_json() const;  // {"kind": "concurrency", "limit": ..., ...}
};

struct NodeMetrics {
  // Counted per record by whichever thread runs a body: striped (engine/striped_counter.hpp).
  StripedCounter in, out, errors, filtered, emitted;
  StripedCounter busy_us;                  // of the timed bodies (every one of I/O nodes, 1 in 8 of CPU nodes)
  std::atomic<std::int64_t> held{0};       // accepted, not yet settled (open batches)
  std::atomic<std::int64_t> unwritten{0};  // accepted and lost: no write, no dead-letter path
  // Each on a line of its own: producers raise `queued`, the node's bodies lower it and count
  // `in_flight`, and admission reads `queued` of every node downstream of a source.
  alignas(64) std::atomic<std::int64_t> queued{0};  // inside the node now: waiting or running
  std::atomic<std::int64_t> max_queued{0};          // high-water mark of `queued`
  alignas(64) std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> max_in_flight{0};  // running bodies
  LatencyHistogram latency;  // of the timed bodies
  const AdaptiveLimit* adaptive = nullptr;  // concurrency: adaptive; owned by the runner
};

struct NodeSummary {
  std::string id, type, role;
  std::int64_t in = 0, out = 0, errors = 0, filtered = 0, emitted = 0, received = 0;
  std::int64_t held = 0, unwritten = 0;
  double busy_ms = 0, p50_ms = 0, p95_ms = 0;
  std::int64_t queued = 0, max_queued = 0, max_in_flight = 0, buffer = 0;
  int concurrency = 1;
  bool balanced = true;  // in == out + errors + filtered + unwritten (+ held while running), in == received
  std::string stopped_reason;  // a source that stopped early, or a node that could not write, says why
  std::map<std::string, std::int64_t> ports;  // records sent on each declared port beyond out/errors
  std::optional<AdaptiveSummary> adaptive;  // concurrency: adaptive (then `concurrency` is its max)
};

// Something a run wrote: a file published, a store table (for the summary's "wrote" lines).
struct OutputSummary {
  std::string node, target;  // e.g. "to_jsonl", "out/sample/parcels.jsonl" or a store URL
  std::int64_t rows = 0;
  std::string what;          // "rows", "properties", "dead letters" ...
};

struct EdgeSummary {
  std::string from, port, to;
  bool control = false;
  std::int64_t count = 0;
};

struct RunSummary {
  std::string pipeline, run_id, status;  // status: ok | failed | interrupted
  std::string started_at, finished_at;   // ISO 8601 UTC
  double duration_ms = 0;
  std::vector<NodeSummary> nodes;
  std::vector<EdgeSummary> edges;
  std::int64_t source_records = 0, dead_letters = 0;
  double error_rate = 0, max_error_rate = -1;  // -1 = not set
  std::map<std::string, double> counters;      // RunContext counters (tokens, cache hits ...)
  boost::json::object resources;               // waits, breaker states, budgets left
  std::vector<std::string> warnings;           // things a reader must see (RunContext::warn)
  std::vector<OutputSummary> outputs;          // where the run's data went (RunContext::add_output)
  std::string failure;                         // why a failed run failed, on one line ("" when ok)
  int exit_code = 0;

  boost::json::object to_json() const;
  std::string to_table() const;  // the human table printed on stderr
};

}  // namespace flowrun
