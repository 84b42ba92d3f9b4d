// Crash safety: a real `flowrun` child is killed with SIGKILL at several points of a run into
// a SQLite store, then run again to completion. Nothing may be lost or duplicated, and every
// killed run must end up marked `crashed` in the ledger.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "tests/shared/run_checks.hpp"

namespace fs = std::filesystem;

namespace {

constexpr int kRecords = 4000;

// -1 when the table (or the file) is not there yet.
long long count_rows(const std::string& db, const char* sql) {
  sqlite3* h = nullptr;
  long long n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 2000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

// `flowrun run PIPELINE --json`: stderr appended to `log`, the summary (stdout) to `summary`.
pid_t spawn(const std::string& pipeline, const std::string& log, const std::string& summary) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = freopen(log.c_str(), "a", stderr);
    (void)f;
    FILE* o = freopen(summary.c_str(), "w", stdout);
    (void)o;
    execl(FLOWRUN_BIN, FLOWRUN_BIN, "--log-level", "warn", "run", pipeline.c_str(), "--json", static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// A run that completed: every node of its summary balances (a SIGKILLed run prints none; the
// rerun's rows show that nothing it held was lost).
void check_summary(const std::string& summary) {
  std::ifstream in(summary);
  flowrun::testing::check_balanced(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

// Waits until `ready()` or the child exits; kills it with SIGKILL if still running.
// Returns true when the kill landed on a live process.
template <class F>
bool kill_when(pid_t pid, F&& ready) {
  for (int i = 0; i < 60000; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // finished before the point
    if (ready()) break;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

}  // namespace

TEST_CASE("crash safety: SIGKILL at any point, rerun, nothing lost or duplicated", "[crash]") {
  auto dir = fs::temp_directory_path() / ("flowrun-crash-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string input = (dir / "in.jsonl").string();
  {
    std::ofstream f(input);
    for (int i = 0; i < kRecords; ++i)
      f << R"({"id":"apn:)" << i << R"(","source":"assessor","address":{"zip":"8503)" << i % 5
        << R"("},"price":)" << 100000 + i << R"(,"assessed_value":)" << 9000 + i << "}\n";
  }
  const std::string db = (dir / "store" / "crash.db").string();
  const std::string pipeline = (dir / "crash.yaml").string();
  {
    std::ofstream f(pipeline);
    f << "name: crash\nstore: sqlite:" << db << R"(
nodes:
  src: {type: file, path: )" << input << R"(, format: jsonl, id_field: id}
  props: {type: store, inputs: [src], batch_size: 10}
  raw: {type: store, kind: raw, inputs: [src], batch_size: 7}
)";
  }
  const std::string log = (dir / "flowrun.log").string();
  const std::string summary = (dir / "summary.json").string();
  const char* props = "SELECT COUNT(*) FROM properties";

  int mid_run_kills = 0;
  int killed = 0;
  // Kill points: by time (possibly before the store exists), then by rows written.
  {
    pid_t pid = spawn(pipeline, log, summary);
    auto t0 = std::chrono::steady_clock::now();
    killed += kill_when(pid, [&] { return std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(30); });
  }
  for (long long threshold : {1LL, kRecords / 4LL, kRecords / 2LL, kRecords * 9LL / 10}) {
    pid_t pid = spawn(pipeline, log, summary);
    bool k = kill_when(pid, [&] { return count_rows(db, props) >= threshold; });
    killed += k;
    long long now = count_rows(db, props);
    if (k && now > 0 && now < kRecords) ++mid_run_kills;
  }
  INFO("flowrun log: " << log);
  // At least one kill must have hit a run half-way through writing, or the test proved nothing.
  CHECK(mid_run_kills >= 1);

  // Run to completion.
  pid_t pid = spawn(pipeline, log, summary);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  check_summary(summary);

  CHECK(count_rows(db, props) == kRecords);
  CHECK(count_rows(db, "SELECT COUNT(DISTINCT id) FROM properties") == kRecords);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM raw_records") == kRecords);
  // history is written with the row in one transaction: exactly one first-sighting row per id
  CHECK(count_rows(db, "SELECT COUNT(*) FROM property_history") == kRecords);
  CHECK(count_rows(db, "SELECT COUNT(DISTINCT id) FROM property_history") == kRecords);
  // every value made it intact
  CHECK(count_rows(db, "SELECT COUNT(*) FROM properties WHERE price = 100000 + CAST(substr(id, 5) AS INTEGER)") == kRecords);
  // the ledger: the final run ok, no run left `running` (killed ones are marked crashed)
  CHECK(count_rows(db, "SELECT COUNT(*) FROM runs WHERE status = 'running'") == 0);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM runs WHERE status = 'ok'") >= 1);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM runs WHERE status = 'crashed'") >= mid_run_kills);

  // A second full run changes nothing.
  pid = spawn(pipeline, log, summary);
  waitpid(pid, &status, 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  check_summary(summary);
  CHECK(count_rows(db, props) == kRecords);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM property_history") == kRecords);
  // properties and raw rows: all unchanged
  CHECK(count_rows(db, "SELECT unchanged FROM runs ORDER BY started_at DESC LIMIT 1") == 2 * kRecords);
  // kept on failure for the log and the database
  if (mid_run_kills >= 1 && count_rows(db, props) == kRecords) fs::remove_all(dir);
}
