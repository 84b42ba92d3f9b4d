// Per-record events of one run, written only when asked (`flowrun run --trace-file PATH`): one JSON
// line per record per node, so that `flowrun trace ID` can show a record's path through the graph
// with its ports, timings and attempts. Off by default: the engine keeps no per-record history.
#pragma once
#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>

namespace flowrun {

class RecordTrace {
 public:
  // Opens (truncates) `path`; throws std::runtime_error naming it when it cannot be written.
  explicit RecordTrace(const std::string& path);
  ~RecordTrace();
  RecordTrace(const RecordTrace&) = delete;
  RecordTrace& operator=(const RecordTrace&) = delete;

  // One line: {"trace","node","port","outcome","at_ms","ms","attempt"}. `outcome` says how the record
  // left the node: emitted (a source), out, errors, filtered, held (a batch keeps it), released
  // (it left its batch). `start_us`/`us`: steady-clock start and duration of the body (0: untimed).
  void event(std::string_view trace_id, std::string_view node, std::string_view port, std::string_view outcome,
             std::int64_t start_us, std::int64_t us, int attempt);
  // Flushes to disk; throws std::runtime_error when the file could not be written.
  void finish();

 private:
  std::mutex mu_;
  std::ofstream out_;
  std::string path_;
  std::int64_t t0_us_;
};

}  // namespace flowrun
