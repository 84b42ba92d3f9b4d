// What the cluster tests share: temp dirs, the test pipeline (test_gen -> test_slow in a worker
// group -> jsonl + SQLite store in main), starting `run` and `worker` processes, and comparing a
// clustered run's output with a one-process run of the same pipeline.
#pragma once
#include <sqlite3.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/child_process.hpp"
#include "tests/cluster/nats_server.hpp"
#include "tests/shared/run_checks.hpp"

namespace clustertest {

namespace fs = std::filesystem;
namespace json = boost::json;
using flowrun::testing::Child;
using flowrun::testing::ChildResult;
using flowrun::testing::slurp;
using namespace std::chrono_literals;

struct Dir {
  fs::path path;
  Dir() {
    char tmpl[] = "/tmp/flowrun-cluster-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Shape {
  int records = 200;
  int delay_ms = 5;
  int concurrency = 4;
  int max_ack_pending = 64;
  bool clustered = true;
  int max_deliver = 5;
  std::string crash_on;
};

// test_gen (main) -> test_slow (group work) -> jsonl + SQLite store (main).
inline std::string pipeline(const std::string& nats_url, const Shape& s, const fs::path& dir) {
  std::ostringstream y;
  y << "name: clustertest\n";
  if (s.clustered)
    y << "cluster: {nats: \"" << nats_url << "\", ack_wait: 2s, worker_lost_after: 2s, outage: 20s, stall_timeout: 60s,\n"
      << "          max_deliver: " << s.max_deliver << ", groups: {work: {max_ack_pending: " << s.max_ack_pending << "}}}\n";
  y << "nodes:\n"
    << "  gen: {type: test_gen, count: " << s.records << "}\n"
    << "  slow: {type: test_slow, inputs: [gen], delay_ms: " << s.delay_ms << ", concurrency: " << s.concurrency
    << (s.clustered ? ", group: work" : "") << (s.crash_on.empty() ? "" : ", crash_on: " + s.crash_on) << "}\n"
    << "  lines: {type: jsonl, inputs: [slow], path: out.jsonl}\n"
    << "  db: {type: store, inputs: [slow], url: \"sqlite:" << (dir / "out.db").string() << "\", batch_size: 50}\n";
  return y.str();
}

inline fs::path write_pipeline(const fs::path& dir, const std::string& text) {
  fs::create_directories(dir);
  std::ofstream(dir / "p.yaml") << text;
  return dir / "p.yaml";
}

inline fs::path child_dir(const fs::path& base, const std::string& name) {
  fs::create_directories(base / name);
  return base / name;
}

inline std::unique_ptr<Child> start_worker(const fs::path& file, const fs::path& base, const std::string& name,
                                           const std::string& group = "work") {
  return std::make_unique<Child>(std::vector<std::string>{CLUSTER_PROC, "worker", file.string(), group, "--once"},
                                 child_dir(base, name));
}

inline ChildResult run_main(const fs::path& file, const fs::path& base, std::chrono::seconds timeout = 120s) {
  Child c({CLUSTER_PROC, "run", file.string()}, child_dir(base, "main"));
  return c.wait(timeout);
}

// The output lines sorted: the same multiset whatever order the workers produced them in.
// test_gen stamps collected_at with the clock, so that field is left out of the comparison.
inline std::vector<std::string> sorted_lines(const fs::path& p) {
  static const std::regex clock(R"("collected_at":"[0-9]+",?)");
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(std::regex_replace(line, clock, ""));
  std::sort(out.begin(), out.end());
  return out;
}

// id -> `value` (an SQL expression over the row; default: the body's `doubled`), from the SQLite
// store; also how many rows there are.
inline std::map<std::string, std::string> stored(const fs::path& db, int& rows,
                                                 const std::string& value = "json_extract(body, '$.doubled')") {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, ("SELECT id, " + value + " FROM properties").c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::map<std::string, std::string> out;
  rows = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    ++rows;
    const auto* v = sqlite3_column_text(st, 1);
    out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = v ? reinterpret_cast<const char*>(v) : "";
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

inline json::object summary_of(const ChildResult& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.out, ec);
  INFO(r.out.substr(0, 2000));
  REQUIRE(!ec);
  return v.as_object();
}

// The summary of a finished `run`, which covers every process's nodes (main's and each worker's,
// merged): every node balances there, in = out + errors + filtered + unwritten
// (tests/shared/run_checks.hpp). A worker killed mid-run never reports its counts; the records it
// held come back to another worker, which counts them, so the merged counts still add up.
inline json::object checked_summary(const ChildResult& r) {
  auto s = summary_of(r);
  flowrun::testing::check_balanced(json::value(s));
  return s;
}

// run_main() of a run that must finish, with its summary checked (checked_summary()).
inline ChildResult run_main_checked(const fs::path& file, const fs::path& base, std::chrono::seconds timeout = 120s) {
  auto r = run_main(file, base, timeout);
  INFO(r.err);
  REQUIRE(r.exited);
  checked_summary(r);
  return r;
}

inline const json::object& node_of(const json::object& s, const std::string& id) {
  for (const auto& n : s.at("nodes").as_array())
    if (n.as_object().at("id").as_string() == id) return n.as_object();
  FAIL("no node " << id);
  throw std::logic_error("unreachable");
}

inline double counter(const json::object& s, const std::string& prefix) {
  double total = 0;
  for (const auto& [k, v] : s.at("counters").as_object())
    if (std::string(k).rfind(prefix, 0) == 0) total += v.to_number<double>();
  return total;
}

// The reference: the same pipeline without cluster:, in one process.
struct Reference {
  std::vector<std::string> lines;
  std::map<std::string, std::string> rows;
  std::string summary;  // the one-process run's JSON summary (check_balanced() it)
};

inline Reference one_process(const fs::path& base, Shape s) {
  s.clustered = false;
  const auto file = write_pipeline(base / "single", pipeline("", s, base / "single"));
  auto r = run_main(file, base / "single");
  INFO(r.err);
  REQUIRE(r.code == 0);
  Reference ref;
  ref.summary = r.out;
  ref.lines = sorted_lines(base / "single" / "out.jsonl");
  int n = 0;
  ref.rows = stored(base / "single" / "out.db", n);
  REQUIRE(n == s.records);
  REQUIRE(ref.lines.size() == static_cast<std::size_t>(s.records));
  return ref;
}

inline void same_as_reference(const fs::path& dir, const Reference& ref, int records) {
  const auto lines = sorted_lines(dir / "out.jsonl");
  CHECK(lines.size() == static_cast<std::size_t>(records));
  CHECK(lines == ref.lines);  // each record exactly once, as one process wrote it
  int rows = 0;
  const auto got = stored(dir / "out.db", rows);
  CHECK(rows == records);  // each id exactly once in the store
  CHECK(got == ref.rows);
}

}  // namespace clustertest
