// Shared by the tests that drive the `flowrun` binary (maintenance, report, cli): temp folders,
// file reading, `flowrun ARGS` as a child, and the shipped daily pipeline run once from its
// cassette. Every run's summary has the accounting rule checked by run_child()
// (tests/cli/child_process.hpp, tests/shared/run_checks.hpp).
// Replaces tests/maintenance/daily_run.hpp and the temp-dir half of tests/report/report_test_util.hpp.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/cli/child_process.hpp"
#include "tests/shared/run_checks.hpp"

namespace flowrun::testing {

namespace fs = std::filesystem;

// Temp folders made by this binary, removed when it exits.
struct TempDirs {
  std::vector<fs::path> dirs;
  ~TempDirs() {
    std::error_code ec;
    for (const auto& d : dirs) fs::remove_all(d, ec);
  }
};
inline TempDirs g_temp_dirs;

inline fs::path temp_dir(const std::string& tag) {
  auto d = fs::temp_directory_path() / ("flowrun-test-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(d);
  fs::create_directories(d);
  g_temp_dirs.dirs.push_back(d);
  return d;
}

#ifdef FLOWRUN_BIN
// `flowrun ARGS...` in `cwd`.
inline ChildResult run_flowrun(std::vector<std::string> args, const fs::path& cwd) {
  args.insert(args.begin(), FLOWRUN_BIN);
  return run_child(args, cwd);
}

struct DailyRun {
  fs::path dir;  // has pipelines/ (a link) and out/
  ChildResult result;
  fs::path metrics() const { return dir / "out/daily/metrics.prom"; }
};

// pipelines/daily.yaml from pipelines/cassettes/daily, with one proxy configured on a listing site
// (replay never uses it, so the run is the shipped one; its proxy counters are there, at 0).
// Every node of its summary balances (run_child() checks it, in the first test that asks).
inline const DailyRun& daily_run() {
  static const DailyRun run = [] {
    DailyRun r;
    r.dir = temp_dir("daily");
    fs::create_directory_symlink(std::string(FLOWRUN_SOURCE_DIR) + "/pipelines", r.dir / "pipelines");
    ::setenv("MARICOPA_API_KEY", "replay-only", 1);
    ::unsetenv("OLLAMA_URL");
    ::unsetenv("FLOWRUN_STORE");
    r.result = run_flowrun({"run", "pipelines/daily.yaml", "--replay", "pipelines/cassettes/daily", "--quiet", "--json",
                            "--metrics-textfile", "out/daily/metrics.prom", "--set",
                            R"(nodes.grid_homes.proxies=["http://127.0.0.1:9"])"},
                           r.dir);
    return r;
  }();
  return run;
}
#endif

}  // namespace flowrun::testing
