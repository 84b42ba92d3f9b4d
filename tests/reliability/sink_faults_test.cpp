// The sink fault suite (issue 12): every sink fails for real, at start, in the middle and at
// close, under a real `flowrun run --json` child: a full filesystem (a small tmpfs where mount is
// allowed, else a file-size limit on the child), a database locked by another connection, a
// corrupted database file, an unwritable path. Each case asserts the exit code, the summary and
// ledger status, that every node balances (in = out + errors + filtered + unwritten) and that
// every accepted record is stored, dead-lettered or counted unwritten.
#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <sys/mount.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "tests/reliability/child_process.hpp"

using namespace flowrun::reltest;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// A filesystem of `bytes`: a tmpfs when this process may mount one, else a plain folder whose
// writers get a file-size limit (the run's child only).
struct SmallDisk {
  std::string path;
  std::int64_t rlimit = 0;
  bool mounted = false;
  SmallDisk(const std::string& at, std::int64_t bytes) : path(at) {
    fs::create_directories(path);
    const std::string opts = "size=" + std::to_string(bytes);
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    if (!mounted) rlimit = bytes;
  }
  ~SmallDisk() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
  }
};

// Record `i` of the input: small unless `pad` asks for a long description.
std::string input_lines(int n, int pad = 0, bool with_id = true) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    json::object o;
    if (with_id) o["id"] = "apn:" + std::to_string(i);
    o["source"] = "assessor";
    o["address"] = json::object{{"street", std::to_string(i) + " W Main St"}, {"city", "Phoenix"}, {"zip", "85031"}};
    o["price"] = 100000 + i;
    if (pad) o["description"] = std::string(static_cast<std::size_t>(pad), 'x');
    s += json::serialize(o) + "\n";
  }
  return s;
}

struct Outcome {
  ChildResult child;
  json::object summary;
  const json::object& node(const std::string& id) const {
    for (const auto& n : summary.at("nodes").as_array())
      if (n.as_object().at("id").as_string() == id) return n.as_object();
    FAIL("no node " << id << " in the summary");
    throw;
  }
  std::int64_t count(const std::string& id, const char* what) const { return node(id).at(what).to_number<std::int64_t>(); }
};

Outcome run_flowrun(const TempDir& dir, const std::string& yaml, std::int64_t rlimit = 0) {
  write_file(dir.file("p.yaml"), yaml);
  auto c = spawn_child({flowrun_bin(), "run", dir.file("p.yaml"), "--json"}, {}, dir.path, dir.file("stdout"),
                       dir.file("stderr"), rlimit);
  Outcome o{wait_child(c, std::chrono::seconds(90)), {}};
  INFO(o.child.describe() << "\n" << o.child.err);
  REQUIRE(o.child.exited());
  // Every node balances, failed runs too: what a sink could not write and could not dead-letter
  // is counted unwritten (tests/shared/run_checks.hpp).
  check_flowrun_run({flowrun_bin(), "run", dir.file("p.yaml"), "--json"}, o.child);
  if (o.child.out.find('{') != std::string::npos) o.summary = json::parse(o.child.out.substr(o.child.out.find('{'))).as_object();
  return o;
}

// The run failed, said why on one line, and every node balances.
void check_failed_and_balanced(const Outcome& o) {
  INFO(o.child.err);
  CHECK(o.child.exit_code == 1);
  CHECK(o.summary.at("status").as_string() == "failed");
  const std::string failure(o.summary.at("failure").as_string());
  CHECK(!failure.empty());
  CHECK(failure.find('\n') == std::string::npos);
  // the balance of every node: checked by run_flowrun() above for every run
}

std::int64_t sql_count(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::int64_t n = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

std::string ledger_status(const std::string& db) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  std::string s = "(none)";
  if (sqlite3_prepare_v2(h, "SELECT status FROM runs ORDER BY started_at DESC LIMIT 1", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    s = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return s;
}

std::int64_t lines_in(const std::string& path) {
  std::ifstream in(path);
  std::int64_t n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

// Another connection holds the write lock until destroyed (the run's store waits its busy timeout).
struct WriteLock {
  sqlite3* h = nullptr;
  explicit WriteLock(const std::string& db) {
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    sqlite3_exec(h, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    REQUIRE(sqlite3_exec(h, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~WriteLock() {
    sqlite3_exec(h, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }
};

// The ledger lives in its own healthy database, so it can record the failure of the store under test.
std::string head(const TempDir& dir, const std::string& name) {
  return "name: " + name + "\nstore: sqlite:" + dir.file("ledger.db") + "\nnodes:\n  src: {type: file, path: in.jsonl}\n";
}

// A store pipeline whose failed batches go to a dead_letter file on the healthy disk.
std::string store_pipeline(const TempDir& dir, const std::string& db, int batch) {
  return head(dir, "storefault") + "  store: {type: store, inputs: [src], url: \"sqlite:" + db +
         "\", batch_size: " + std::to_string(batch) + "}\n  dl: {type: dead_letter, inputs: [store.errors], path: dl.jsonl}\n";
}

// Every record the source read is in the database, in the dead-letter file or counted unwritten.
void check_store_accounted(const Outcome& o, const TempDir& dir, const std::string& db, std::int64_t n) {
  const auto out = o.count("store", "out");
  CHECK(o.count("store", "in") == n);
  if (fs::exists(db)) CHECK(sql_count(db, "SELECT COUNT(*) FROM properties") == out);
  CHECK(lines_in(dir.file("dl.jsonl")) == o.count("dl", "out"));
  CHECK(out + o.count("dl", "out") + o.count("store", "unwritten") + o.count("dl", "unwritten") + o.count("dl", "errors") == n);
}

}  // namespace

TEST_CASE("store faults: a full disk in the middle fails the run, stops trying, dead-letters the rest", "[sink-faults]") {
  TempDir dir;
  SmallDisk disk(dir.file("small"), 384 * 1024);
  write_file(dir.file("in.jsonl"), input_lines(3000, 200));
  const std::string db = disk.path + "/store.db";
  auto o = run_flowrun(dir, store_pipeline(dir, db, 50), disk.rlimit);
  check_failed_and_balanced(o);
  check_store_accounted(o, dir, db, 3000);
  CHECK(o.count("store", "out") > 0);     // it failed part-way
  CHECK(o.count("store", "errors") > 0);  // the rest went to dead letters with the reason
  if (disk.mounted) CHECK_THAT(read_file(dir.file("dl.jsonl")), Catch::Contains("cannot write"));
  CHECK(ledger_status(dir.file("ledger.db")) == "failed");
}

TEST_CASE("store faults: the whole day in the final batch, a full disk at close", "[sink-faults]") {
  TempDir dir;
  SmallDisk disk(dir.file("small"), 256 * 1024);
  write_file(dir.file("in.jsonl"), input_lines(400, 1500));
  const std::string db = disk.path + "/store.db";
  auto o = run_flowrun(dir, store_pipeline(dir, db, 1000), disk.rlimit);
  check_failed_and_balanced(o);
  check_store_accounted(o, dir, db, 400);
  CHECK(o.count("store", "out") == 0);
  if (disk.mounted) CHECK(o.count("store", "errors") == 400);  // else the dead-letter file is limited too
  CHECK(ledger_status(dir.file("ledger.db")) == "failed");
}

TEST_CASE("store faults: a database locked by another connection at close", "[sink-faults]") {
  TempDir dir;
  write_file(dir.file("in.jsonl"), input_lines(30));
  const std::string db = dir.file("store.db");
  // first run: the database exists and is migrated
  auto ok = run_flowrun(dir, store_pipeline(dir, db, 1000));
  REQUIRE(ok.child.exit_code == 0);
  write_file(dir.file("in.jsonl"), input_lines(60));
  WriteLock lock(db);  // held past the store's busy timeout
  auto o = run_flowrun(dir, store_pipeline(dir, db, 1000));
  check_failed_and_balanced(o);
  CHECK(o.count("store", "errors") == 60);
  CHECK(lines_in(dir.file("dl.jsonl")) == 60);
  CHECK_THAT(std::string(o.summary.at("failure").as_string()), Catch::Contains("locked"));
  CHECK(ledger_status(dir.file("ledger.db")) == "failed");
}

TEST_CASE("store faults: locked at start, corrupted, unwritable: the run fails at start", "[sink-faults]") {
  TempDir dir;
  write_file(dir.file("in.jsonl"), input_lines(20));
  SECTION("a new database whose writer lock another connection holds") {
    const std::string db = dir.file("store.db");
    WriteLock lock(db);
    auto o = run_flowrun(dir, store_pipeline(dir, db, 10));
    check_failed_and_balanced(o);
    CHECK(ledger_status(dir.file("ledger.db")) == "failed");
  }
  SECTION("a corrupted database file") {
    const std::string db = dir.file("store.db");
    write_file(db, std::string("SQLite format 3") + std::string(8192, '\x5a'));
    auto o = run_flowrun(dir, store_pipeline(dir, db, 10));
    check_failed_and_balanced(o);
    CHECK(ledger_status(dir.file("ledger.db")) == "failed");
  }
  SECTION("an unwritable path") {
    write_file(dir.file("afile"), "x");
    auto o = run_flowrun(dir, store_pipeline(dir, dir.file("afile") + "/store.db", 10));
    check_failed_and_balanced(o);
    CHECK(ledger_status(dir.file("ledger.db")) == "failed");
  }
}

TEST_CASE("store faults: a database corrupted under a running store fails it mid-run", "[sink-faults]") {
  TempDir dir;
  write_file(dir.file("in.jsonl"), input_lines(500, 100));
  const std::string db = dir.file("store.db");
  auto ok = run_flowrun(dir, store_pipeline(dir, db, 1000));
  REQUIRE(ok.child.exit_code == 0);
  {
    sqlite3* h = nullptr;  // everything into the main file, so the junk below lands on real pages
    sqlite3_open(db.c_str(), &h);
    sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }
  {
    // Keep the schema's pages (the store still opens), overwrite the later half: the data and
    // index pages of `properties`.
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = fs::file_size(db);
    f.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096));
    const std::string junk(static_cast<std::size_t>(size - size / 2 / 4096 * 4096), '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  fs::remove(db + "-wal"), fs::remove(db + "-shm");
  write_file(dir.file("in.jsonl"), input_lines(500, 100));
  auto o = run_flowrun(dir, store_pipeline(dir, db, 50));
  check_failed_and_balanced(o);
  CHECK(o.count("store", "in") == 500);  // it started: the failure is the first batch's
  CHECK(o.count("store", "errors") == 500);
  CHECK_THAT(std::string(o.summary.at("failure").as_string()), Catch::Contains("malformed"));
  CHECK(ledger_status(dir.file("ledger.db")) == "failed");
}

namespace {
// Every record lacks an id: the store rejects each, the dead_letter_store under test takes them.
std::string dls_pipeline(const TempDir& dir, const std::string& db, int batch) {
  return head(dir, "dlsfault") + "  store: {type: store, inputs: [src]}\n  rejects: {type: dead_letter_store, inputs: [store.errors], url: \"sqlite:" +
         db + "\", batch_size: " + std::to_string(batch) + "}\n";
}
void check_dls_accounted(const Outcome& o, const std::string& db, std::int64_t n) {
  CHECK(o.count("store", "errors") == n);
  CHECK(o.count("rejects", "in") == n);
  if (fs::exists(db)) {
    const auto stored = sql_count(db, "SELECT COUNT(*) FROM dead_letters");
    if (stored >= 0) CHECK(stored == o.count("rejects", "out"));
  }
  // no dead-letter path is left: what was not written is counted unwritten
  CHECK(o.count("rejects", "out") + o.count("rejects", "unwritten") + o.count("rejects", "errors") == n);
  CHECK(o.count("rejects", "unwritten") > 0);
}
}  // namespace

TEST_CASE("dead_letter_store faults: full disk mid-run and at close, unwritable at start", "[sink-faults]") {
  TempDir dir;
  SECTION("full in the middle") {
    SmallDisk disk(dir.file("small"), 384 * 1024);
    write_file(dir.file("in.jsonl"), input_lines(2000, 300, false));
    auto o = run_flowrun(dir, dls_pipeline(dir, disk.path + "/dl.db", 20), disk.rlimit);
    check_failed_and_balanced(o);
    check_dls_accounted(o, disk.path + "/dl.db", 2000);
    CHECK(o.count("rejects", "out") > 0);
    CHECK(ledger_status(dir.file("ledger.db")) == "failed");
  }
  SECTION("full at close") {
    SmallDisk disk(dir.file("small"), 256 * 1024);
    write_file(dir.file("in.jsonl"), input_lines(300, 2000, false));
    auto o = run_flowrun(dir, dls_pipeline(dir, disk.path + "/dl.db", 1000), disk.rlimit);
    check_failed_and_balanced(o);
    check_dls_accounted(o, disk.path + "/dl.db", 300);
    CHECK(o.count("rejects", "unwritten") == 300);
    CHECK(ledger_status(dir.file("ledger.db")) == "failed");
  }
  SECTION("unwritable at start") {
    write_file(dir.file("afile"), "x");
    write_file(dir.file("in.jsonl"), input_lines(10, 0, false));
    auto o = run_flowrun(dir, dls_pipeline(dir, dir.file("afile") + "/dl.db", 10));
    check_failed_and_balanced(o);
    CHECK(ledger_status(dir.file("ledger.db")) == "failed");
  }
}

namespace {
// A file sink under test; its own failures have no dead-letter path (they count unwritten).
std::string file_sink_pipeline(const TempDir& dir, const std::string& type, const std::string& path) {
  std::string extra = type == "csv" ? ", columns: [id, price, description]" : "";
  std::string inputs = type == "dead_letter" ? "[reject.errors]" : "[src]";
  std::string y = head(dir, "filefault");
  // dead_letter gets every record through a node that rejects them all (no id)
  if (type == "dead_letter") y += "  reject: {type: store, inputs: [src], url: \"sqlite:" + dir.file("s.db") + "\"}\n";
  return y + "  sink: {type: " + type + ", inputs: " + inputs + ", path: \"" + path + "\"" + extra + "}\n";
}
}  // namespace

TEST_CASE("file sink faults: jsonl, csv, dead_letter on a full disk (middle, close) and an unwritable path",
          "[sink-faults]") {
  for (std::string type : {"jsonl", "csv", "dead_letter"}) {
    DYNAMIC_SECTION(type) {
      const bool no_id = type == "dead_letter";
      for (int phase = 0; phase < 3; ++phase) {
        TempDir dir;
        INFO("phase " << phase);
        std::unique_ptr<SmallDisk> disk;
        std::string path;
        std::int64_t n = 0;
        if (phase == 0) {  // an unwritable target: a folder where the file should be
          fs::create_directories(dir.file("afolder"));
          path = dir.file("afolder");
          n = 10;
          write_file(dir.file("in.jsonl"), input_lines(static_cast<int>(n), 0, !no_id));
        } else {
          // middle: far more than the sink buffers; close: less than one buffer, all lost at the final flush
          disk = std::make_unique<SmallDisk>(dir.file("small"), 128 * 1024);
          n = phase == 1 ? 2000 : 200;  // close: ~50 KB, under the sink's 64 KB write buffer
          write_file(dir.file("in.jsonl"), input_lines(static_cast<int>(n), 200, !no_id));
          path = disk->path + "/out.txt";
          if (phase == 2) {  // leave ~28 KB free
            if (disk->mounted) write_file(disk->path + "/filler", std::string(100 * 1024, 'f'));
            else disk->rlimit = 32 * 1024;
          }
        }
        // the previous output must survive a failed run
        if (phase != 0) write_file(path, "yesterday\n");
        auto o = run_flowrun(dir, file_sink_pipeline(dir, type, path), disk ? disk->rlimit : 0);
        if (phase == 0) {  // found before anything runs: an invalid pipeline at the option's line
          CHECK(o.child.exit_code == 2);
          CHECK_THAT(o.child.err, Catch::Contains("p.yaml:") && Catch::Contains("is a directory"));
          continue;
        }
        check_failed_and_balanced(o);
        CHECK(ledger_status(dir.file("ledger.db")) == "failed");
        CHECK(o.count("sink", "in") == n);
        CHECK(o.count("sink", "unwritten") + o.count("sink", "errors") > 0);
        if (type != "dead_letter") CHECK(read_file(path) == "yesterday\n");
      }
    }
  }
}

TEST_CASE("report faults: an unwritable path and a full disk fail the run after the ledger", "[sink-faults]") {
  TempDir dir;
  write_file(dir.file("in.jsonl"), input_lines(20));
  auto pipeline = [&](const std::string& path) {
    return head(dir, "reportfault") + "  store: {type: store, inputs: [src]}\n  report: {type: report, inputs: [src], after: [store], path: \"" + path +
           "\"}\n";
  };
  SECTION("a file where the folder should be") {
    // Found before anything runs: an invalid pipeline at the option's line, nothing half done.
    write_file(dir.file("afile"), "x");
    auto o = run_flowrun(dir, pipeline(dir.file("afile") + "/report.html"));
    CHECK(o.child.exit_code == 2);
    CHECK_THAT(o.child.err, Catch::Contains("p.yaml:") && Catch::Contains("is not a folder"));
  }
  SECTION("a full disk") {
    SmallDisk disk(dir.file("small"), 16 * 1024);
    if (!disk.mounted) {
      WARN("mount not allowed here: the report's full-disk case needs a tmpfs (a file-size limit would hit the ledger too)");
      return;
    }
    try {
      write_file(disk.path + "/filler", std::string(16 * 1024, 'f'));
    } catch (const std::exception&) {
    }
    auto o = run_flowrun(dir, pipeline(disk.path + "/report.html"));
    check_failed_and_balanced(o);
    CHECK(ledger_status(dir.file("ledger.db")) == "failed");
  }
}
