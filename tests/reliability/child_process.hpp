// Runs a program as a child process with a wall-clock limit and captures what it printed, so a
// test can tell "exited 2 with a message" from "crashed on a signal" or "hung".
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace flowrun::reltest {

struct ChildResult {
  bool timed_out = false;  // killed after the limit
  int exit_code = -1;      // valid when exited normally
  int signal = 0;          // the signal that ended it, 0 when it exited
  std::string out, err;
  bool exited() const { return !timed_out && signal == 0; }
  std::string describe() const;  // "exit 2", "signal 11 (Segmentation fault)", "timed out"
};

// argv[0] is the program path. `env` entries are added to (or override) this process's
// environment; an empty value unsets the variable. A `flowrun` run has its summary's balance
// checked (check_flowrun_run).
ChildResult run_child(const std::vector<std::string>& argv, std::chrono::seconds limit,
                      const std::map<std::string, std::string>& env = {});

// When `argv` ran a pipeline with the `flowrun` binary and it finished (exit 0 or 1), every node
// of its summary balances (tests/shared/run_checks.hpp); for runs started with spawn_child.
void check_flowrun_run(const std::vector<std::string>& argv, const ChildResult& r);

// A fresh directory under the system temp dir, removed by the destructor.
struct TempDir {
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
  std::string file(const std::string& name) const { return path + "/" + name; }
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

// The pieces of run_child, for tests that kill a child mid-run (daily_harness).
// A child started without waiting; stdin is /dev/null, stdout/stderr go to files; `cwd` "" =
// this process's. `env` as for run_child. `file_size_limit` > 0: no file the child writes may
// grow past it (RLIMIT_FSIZE; writes fail with EFBIG), a full disk where mount is not allowed.
struct Spawned {
  pid_t pid = -1;
  std::string out_path, err_path;
};
Spawned spawn_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                    const std::string& cwd, const std::string& out_path, const std::string& err_path,
                    std::int64_t file_size_limit = 0);
// Waits at most `limit`; on timeout kills with SIGKILL and reports timed_out.
ChildResult wait_child(const Spawned& c, std::chrono::milliseconds limit);
// Fills exit code or signal and the captured output from a waitpid() status.
void collect(ChildResult& r, int status, const Spawned& c);

// The flowrun binary under test: $FLOWRUN_BIN (set by ctest), else the one the build put
// next to the test build (FLOWRUN_BIN_DEFAULT).
std::string flowrun_bin();

}  // namespace flowrun::reltest
