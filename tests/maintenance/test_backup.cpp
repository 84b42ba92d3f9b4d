// flowrun backup: a consistent copy of a SQLite store while a writer commits (SQLite's online
// backup API), checked like a restore would check it; PostgreSQL gets pg_dump advice, not a copy.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "nodes/store/backup.hpp"
#include "nodes/store/record_rows.hpp"
#include "nodes/store/store.hpp"
#include "tests/shared/flowrun_runs.hpp"

using namespace flowrun::testing;
using namespace flowrun::store;

namespace {

constexpr int kBatches = 400, kBatchSize = 500;  // 200,000 properties, one transaction per batch

// Batch b holds ids "b0007-000" ... "b0007-499": a copy's batches can be told apart by prefix.
std::vector<PropertyRow> batch_rows(int b) {
  std::vector<PropertyRow> rows(kBatchSize);
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "b%04d-", b);
  for (int i = 0; i < kBatchSize; ++i) {
    auto& r = rows[static_cast<std::size_t>(i)];
    r.id = prefix + std::to_string(1000 + i).substr(1);
    r.source = "writer";
    r.zip = "8503" + std::to_string(i % 10);
    r.body = R"({"id":")" + r.id + R"(","price":)" + std::to_string(200000 + i) + "}";
    r.content_hash = sha256_hex(r.body);
    r.price = 200000 + i;  // a known value: the first sighting writes a history row too
  }
  return rows;
}

// What a copy holds, read with plain SQLite as a restore would.
struct Copy {
  std::string integrity;
  std::int64_t properties = 0, history = 0, batches = 0, partial_batches = 0;
  std::string last_batch;
};

Copy inspect(const fs::path& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  auto one = [db](const char* sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    std::string v = p ? p : "";
    sqlite3_finalize(st);
    return v;
  };
  Copy c;
  c.integrity = one("PRAGMA integrity_check");
  c.properties = std::stoll(one("SELECT COUNT(*) FROM properties"));
  c.history = std::stoll(one("SELECT COUNT(*) FROM property_history"));
  c.batches = std::stoll(one("SELECT COUNT(DISTINCT substr(id, 1, 5)) FROM properties"));
  c.partial_batches = std::stoll(one("SELECT COUNT(*) FROM (SELECT substr(id, 1, 5) AS b FROM properties "
                                     "GROUP BY b HAVING COUNT(*) <> 500)"));
  c.last_batch = one("SELECT COALESCE(MAX(substr(id, 1, 5)), '') FROM properties");
  sqlite3_close(db);
  return c;
}

std::string batch_name(std::int64_t b) {
  char name[8];
  std::snprintf(name, sizeof name, "b%04d", static_cast<int>(b));
  return name;
}

std::int64_t rows_of(const BackupResult& r, const std::string& table) {
  for (const auto& [t, n] : r.rows)
    if (t == table) return n;
  return -1;
}

}  // namespace

TEST_CASE("backup while a writer commits 200k properties: every copy intact and prefix-consistent", "[backup]") {
  const auto dir = temp_dir("live");
  const std::string db = (dir / "live.db").string();
  auto store = Store::open("sqlite:" + db);  // creates the schema before the writer starts

  std::atomic<int> committed{0};
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      store->upsert_properties(batch_rows(b), "writer-run", iso_now());
      committed.store(b + 1);
    }
  });
  struct Taken {
    int before, after;  // batches committed when the backup began and when it returned
    Copy copy;
  };
  std::vector<Taken> taken;
  while (committed.load() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (int i = 0; committed.load() < kBatches || i == 0; ++i) {
    const auto to = dir / ("copy-" + std::to_string(i) + ".db");
    const int before = committed.load();
    auto r = backup_sqlite(db, to.string());
    const int after = committed.load();
    taken.push_back({before, after, inspect(to)});
    CHECK(rows_of(r, "properties") == taken.back().copy.properties);
    fs::remove(to);
  }
  writer.join();
  auto last = backup_sqlite(db, (dir / "final.db").string());
  taken.push_back({kBatches, kBatches, inspect(dir / "final.db")});

  bool during_writes = false;
  for (const auto& t : taken) {
    INFO("copy taken with " << t.before << " to " << t.after << " batches committed: " << t.copy.properties
                            << " properties in " << t.copy.batches << " batches");
    CHECK(t.copy.integrity == "ok");
    // Every row of a committed batch or none: whole batches, and exactly batches 0 .. k-1.
    CHECK(t.copy.partial_batches == 0);
    CHECK(t.copy.properties == t.copy.batches * kBatchSize);
    CHECK(t.copy.history == t.copy.properties);  // written in the same transactions
    if (t.copy.batches > 0) CHECK(t.copy.last_batch == batch_name(t.copy.batches - 1));
    CHECK(t.copy.batches >= t.before);
    CHECK(t.copy.batches <= t.after);
    during_writes = during_writes || (t.after > t.before && t.copy.batches < kBatches);
  }
  CHECK(taken.size() >= 3);
  CHECK(during_writes);  // at least one copy was made while the writer kept committing
  CHECK(taken.back().copy.properties == kBatches * kBatchSize);
  CHECK(rows_of(last, "properties") == kBatches * kBatchSize);
  // A backup is one self-contained file: no WAL beside it.
  CHECK_FALSE(fs::exists(dir / "final.db-wal"));
}

TEST_CASE("flowrun backup FILE --to PATH: the pipeline's store, --store overrides, failures leave PATH alone", "[backup][cli]") {
  const auto dir = temp_dir("cli");
  {
    auto s = Store::open("sqlite:" + (dir / "data/store.db").string());
    s->upsert_properties(batch_rows(0), "r1", iso_now());
    auto other = Store::open("sqlite:" + (dir / "other.db").string());
    other->upsert_properties(batch_rows(1), "r2", iso_now());
  }
  // Relative to the pipeline's folder, which is also the working directory here (issue 13 makes
  // the former the rule); the URL goes through ${env.X:-default} like the daily pipeline's.
  std::ofstream(dir / "pipeline.yaml") << "name: backuptest\n"
                                          "store: \"${env.FLOWRUN_MAINT_STORE:-sqlite:data/store.db}\"\n"
                                          "nodes:\n  src: {type: file, path: in.jsonl}\n"
                                          "  store: {type: store, inputs: [src]}\n";
  std::ofstream(dir / "in.jsonl") << "";
  ::unsetenv("FLOWRUN_MAINT_STORE");

  auto r = run_flowrun({"backup", "pipeline.yaml", "--to", "backups/copy.db"}, dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.err, Catch::Contains("integrity ok"));
  CHECK_THAT(r.err, Catch::Contains("properties 500"));
  auto c = inspect(dir / "backups/copy.db");
  CHECK(c.integrity == "ok");
  CHECK(c.last_batch == "b0000");

  // --store overrides the pipeline's store; the older backup is replaced.
  r = run_flowrun({"backup", "pipeline.yaml", "--store", "sqlite:other.db", "--to", "backups/copy.db"}, dir);
  CHECK(r.code == 0);
  CHECK(inspect(dir / "backups/copy.db").last_batch == "b0001");

  // A store that is not there: exit 1, the previous backup untouched, no temporary left behind.
  const auto before = fs::file_size(dir / "backups/copy.db");
  r = run_flowrun({"backup", "pipeline.yaml", "--store", "sqlite:missing.db", "--to", "backups/copy.db"}, dir);
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("no such store file"));
  CHECK_FALSE(fs::exists(dir / "missing.db"));
  CHECK(fs::file_size(dir / "backups/copy.db") == before);
  CHECK(inspect(dir / "backups/copy.db").last_batch == "b0001");
  for (const auto& e : fs::directory_iterator(dir / "backups")) CHECK(e.path().filename() == "copy.db");

  // No store at all: usage.
  std::ofstream(dir / "nostore.yaml") << "nodes:\n  src: {type: file, path: in.jsonl}\n";
  CHECK(run_flowrun({"backup", "nostore.yaml", "--to", "x.db"}, dir).code == 2);
}

TEST_CASE("flowrun backup on a PostgreSQL store says how to use pg_dump and exits non-zero", "[backup][cli]") {
  const auto dir = temp_dir("pg-advice");
  auto r = run_flowrun({"backup", "--store", "postgresql://flowrun:s3cret@db.example:5432/phoenix", "--to",
                    "phoenix.dump"},
                   dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("pg_dump --format=custom --file='phoenix.dump' "
                                    "'postgresql://flowrun@db.example:5432/phoenix'"));
  CHECK_THAT(r.err, Catch::Contains("pg_restore"));
  CHECK_THAT(r.err, !Catch::Contains("s3cret"));
  CHECK_FALSE(fs::exists(dir / "phoenix.dump"));
}
