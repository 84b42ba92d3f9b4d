// The daily pipeline (pipelines/daily.yaml) as a child process against the in-process fixture
// servers: the fake county assessor, the fake listing site and (optionally) the fake Ollama, all
// on ephemeral 127.0.0.1 ports. Used by the fault-injection and crash/resume tests, which need
// the same wiring: FLOWRUN_HTTP_MAP for the county URL, base_url overrides for the listing site
// files (they name port 8082, which another test or the demo may hold), a temp store and report.
#pragma once
#include <sys/types.h>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/reliability/child_process.hpp"
#include "tools/fixtures/assessor/assessor_server.hpp"
#include "tools/fixtures/listings/listing_site.hpp"
#include "tools/fixtures/llm/fake_llm_server.hpp"

namespace flowrun::reltest {

// A port nothing listens on: bound, then released (the LLM "dead server" case).
int unused_port();

// Read-only queries on a SQLite file; -1 / empty when the file or table is missing.
long long sql_int(const std::string& db, const std::string& sql);
std::vector<std::string> sql_strings(const std::string& db, const std::string& sql);

// Polls `ready()` (and whether the child exited) every ~2 ms; SIGKILLs it once ready.
// Returns true when the SIGKILL ended a live run, false when the run finished first
// (`finished` then holds how it ended).
template <class F>
bool kill_when(const Spawned& c, F&& ready, std::chrono::milliseconds limit, ChildResult* finished = nullptr);
bool kill_now(const Spawned& c, ChildResult* finished);  // implementation detail of kill_when
bool exited_already(const Spawned& c, ChildResult* finished);

struct DailyOptions {
  std::string zip = "85031";
  fixtures::AssessorOptions assessor;  // faults, parcels per ZIP
  bool llm_alive = true;
  int llm_latency_ms = 0;
  std::vector<std::string> extra_sets;  // more `--set` overrides
};

// Owns the fixture servers and a temp dir with the store and the report.
class DailyHarness {
 public:
  explicit DailyHarness(DailyOptions o);
  ~DailyHarness();

  std::string db() const { return dir_.file("daily.db"); }
  std::string dir() const { return dir_.path; }
  fixtures::AssessorServer& assessor() { return *assessor_; }
  fixtures::ListingSiteServer& listings() { return *listings_; }
  fixtures::FakeLlmServer* llm() { return llm_.get(); }
  const DailyOptions& options() const { return opts_; }

  // `flowrun run pipelines/daily.yaml --json --quiet ...` and its environment, the store at
  // `db_path` (default: db()).
  std::vector<std::string> argv() const;
  std::map<std::string, std::string> env(const std::string& db_path = "") const;
  // Starts a run; stdout/stderr land in the temp dir as run-N.out/.err.
  Spawned start(const std::string& db_path = "");
  // Starts a run and waits for it (limit: a hang shows as timed_out).
  ChildResult run(std::chrono::seconds limit, const std::string& db_path = "");

 private:
  DailyOptions opts_;
  TempDir dir_;
  std::unique_ptr<fixtures::AssessorServer> assessor_;
  std::unique_ptr<fixtures::ListingSiteServer> listings_;
  std::unique_ptr<fixtures::FakeLlmServer> llm_;
  int dead_llm_port_ = 0;
  int runs_ = 0;
};

// The `--json` run summary, reduced to what the reconciliation needs.
struct NodeCounts {
  std::string role;
  long long in = 0, out = 0, errors = 0, filtered = 0;
  bool balanced = false;
};
struct Summary {
  std::string run_id, status;
  int exit_code = -1;
  long long source_records = 0, dead_letters = 0;
  std::map<std::string, NodeCounts> nodes;
  std::map<std::string, double> counters;
  double counter(const std::string& k) const {
    auto it = counters.find(k);
    return it == counters.end() ? 0 : it->second;
  }
};
// Throws with the text when stdout is not the summary JSON.
Summary parse_summary(const std::string& json_text);

template <class F>
bool kill_when(const Spawned& c, F&& ready, std::chrono::milliseconds limit, ChildResult* finished) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (exited_already(c, finished)) return false;
    if (ready() || std::chrono::steady_clock::now() > deadline) return kill_now(c, finished);
    ::usleep(2000);
  }
}

}  // namespace flowrun::reltest
