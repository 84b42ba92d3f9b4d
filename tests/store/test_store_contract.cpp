// The same contract, run against SQLite files and a real PostgreSQL server.
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "nodes/store/store.hpp"
#include "pg_server.hpp"

using namespace flowrun::store;

namespace {

// Removes this binary's SQLite files at exit.
struct SqliteDir {
  ~SqliteDir() {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                    ("flowrun-store-test-" + std::to_string(getpid())), ec);
  }
} g_sqlite_dir;

struct SqliteBackend {
  static constexpr const char* name = "sqlite";
  static std::string url() {
    static int n = 0;
    auto dir = std::filesystem::temp_directory_path() /
               ("flowrun-store-test-" + std::to_string(getpid()));
    return "sqlite:" + (dir / ("sub/db" + std::to_string(++n) + ".db")).string();
  }
};

struct PostgresBackend {
  static constexpr const char* name = "postgresql";
  static std::string url() {
    if (!testpg::binaries_present()) return "";
    return testpg::Server::instance().fresh_database();
  }
};

PropertyRow prop(const std::string& id, const std::string& hash, std::optional<double> price,
                 std::string zip = "85031", std::string status = "") {
  PropertyRow r;
  r.id = id;
  r.source = "assessor";
  r.zip = std::move(zip);
  r.body = R"({"id":")" + id + R"(","h":")" + hash + R"("})";
  r.content_hash = hash;
  r.price = price;
  r.assessed_value = price ? std::optional<double>(*price / 10) : std::nullopt;
  r.enrichment_status = std::move(status);
  return r;
}

std::int64_t count(Store& s, const std::string& sql, const std::vector<std::string>& p = {}) {
  auto rows = s.query(sql, p);
  return std::stoll(*rows.at(0).at(0));
}

std::unique_ptr<Store> open_or_skip(const std::string& url) {
  if (url.empty()) {
    WARN("PostgreSQL 15 binaries not installed: PostgreSQL contract skipped");
    return nullptr;
  }
  return Store::open(url);
}

}  // namespace

TEMPLATE_TEST_CASE("store: schema is migrated once and reopening keeps the data", "[store]",
                   SqliteBackend, PostgresBackend) {
  const std::string url = TestType::url();
  auto s = open_or_skip(url);
  if (!s) return;
  CHECK(s->kind() == TestType::name);
  const int latest = 4;  // chunks
  CHECK(s->schema_version() == latest);
  s->upsert_properties({prop("a", "h1", 100)}, "run1", "2026-01-01T00:00:00.000Z");
  s.reset();
  auto again = Store::open(url);
  CHECK(again->schema_version() == latest);
  CHECK(count(*again, "SELECT COUNT(*) FROM schema_version") == latest);
  CHECK(count(*again, "SELECT COUNT(*) FROM properties") == 1);
}

TEMPLATE_TEST_CASE("store: upserts are idempotent and classify new, updated, unchanged", "[store]",
                   SqliteBackend, PostgresBackend) {
  auto s = open_or_skip(TestType::url());
  if (!s) return;
  const std::string t1 = "2026-01-01T00:00:00.000Z", t2 = "2026-01-02T00:00:00.000Z",
                    t3 = "2026-01-03T00:00:00.000Z";
  auto c1 = s->upsert_properties({prop("a", "h1", 100), prop("b", "h1", 200), prop("c", "h1", std::nullopt)},
                                 "run1", t1);
  CHECK(c1.inserted == 3);
  CHECK(c1.updated == 0);
  CHECK(c1.unchanged == 0);
  CHECK(c1.changed == std::vector<bool>{true, true, true});
  // a and b have values: one history row each at first sighting; c has none
  CHECK(count(*s, "SELECT COUNT(*) FROM property_history") == 2);

  auto c2 = s->upsert_properties({prop("a", "h1", 100), prop("b", "h1", 200), prop("c", "h1", std::nullopt)},
                                 "run2", t2);
  CHECK(c2.inserted == 0);
  CHECK(c2.unchanged == 3);
  CHECK(c2.changed == std::vector<bool>{false, false, false});
  CHECK(count(*s, "SELECT COUNT(*) FROM properties") == 3);
  CHECK(count(*s, "SELECT COUNT(*) FROM property_history") == 2);
  auto seen = s->query("SELECT first_seen, last_seen, last_changed, last_run_id, last_status FROM properties WHERE id = ?", {"a"});
  REQUIRE(seen.size() == 1);
  CHECK(*seen[0][0] == t1);
  CHECK(*seen[0][1] == t2);
  CHECK(*seen[0][2] == t1);
  CHECK(*seen[0][3] == "run2");
  CHECK(*seen[0][4] == "unchanged");

  // changed_only: unchanged rows are counted but not written
  auto c2b = s->upsert_properties({prop("a", "h1", 100)}, "run2b", "2026-01-02T12:00:00.000Z", false);
  CHECK(c2b.unchanged == 1);
  CHECK(*s->query("SELECT last_run_id FROM properties WHERE id = ?", {"a"})[0][0] == "run2");
  std::vector<RawRow> raw = {{"s", "1", "t1", "h1", "{}"}};
  s->upsert_raw(raw);
  raw[0].fetched_at = "t2";
  CHECK(s->upsert_raw(raw, false).unchanged == 1);
  CHECK(*s->query("SELECT fetched_at FROM raw_records")[0][0] == "t1");

  // a: price changed (history row); b: other content changed (no history row)
  auto c3 = s->upsert_properties({prop("a", "h2", 150), prop("b", "h2", 200)}, "run3", t3);
  CHECK(c3.updated == 2);
  CHECK(c3.unchanged == 0);
  CHECK(count(*s, "SELECT COUNT(*) FROM property_history") == 3);
  CHECK(count(*s, "SELECT COUNT(*) FROM property_history WHERE id = ? AND price = 150", {"a"}) == 1);
  seen = s->query("SELECT first_seen, last_changed, last_status, price FROM properties WHERE id = ?", {"a"});
  CHECK(*seen[0][0] == t1);
  CHECK(*seen[0][1] == t3);
  CHECK(*seen[0][2] == "updated");
  CHECK(std::stod(*seen[0][3]) == 150);
}

TEMPLATE_TEST_CASE("store: the same id twice in one batch counts like two writes", "[store]",
                   SqliteBackend, PostgresBackend) {
  auto s = open_or_skip(TestType::url());
  if (!s) return;
  auto c = s->upsert_properties({prop("a", "h1", 100), prop("a", "h2", 120), prop("a", "h2", 120)}, "r",
                                "2026-01-01T00:00:00.000Z");
  CHECK(c.inserted == 1);
  CHECK(c.updated == 1);
  CHECK(c.unchanged == 1);
  CHECK(count(*s, "SELECT COUNT(*) FROM properties") == 1);
  CHECK(*s->query("SELECT content_hash FROM properties")[0][0] == "h2");
  CHECK(count(*s, "SELECT COUNT(*) FROM property_history") == 2);
}

TEMPLATE_TEST_CASE("store: unchanged content keeps the body unless the new one is enriched", "[store]",
                   SqliteBackend, PostgresBackend) {
  auto s = open_or_skip(TestType::url());
  if (!s) return;
  s->upsert_properties({prop("a", "h1", 100, "85031", "pending")}, "r1", "2026-01-01T00:00:00.000Z");
  CHECK(count(*s, "SELECT COUNT(*) FROM pending_enrichment") == 1);
  auto done = prop("a", "h1", 100, "85031", "done");
  done.body = R"({"id":"a","enrichment":{"x":1}})";
  auto c = s->upsert_properties({done}, "r2", "2026-01-02T00:00:00.000Z");
  CHECK(c.unchanged == 1);
  CHECK(count(*s, "SELECT COUNT(*) FROM pending_enrichment") == 0);
  CHECK(s->query("SELECT body FROM properties")[0][0]->find("enrichment") != std::string::npos);
  // a later unenriched (pending) copy with the same content does not undo the enrichment
  s->upsert_properties({prop("a", "h1", 100, "85031", "pending")}, "r3", "2026-01-03T00:00:00.000Z");
  CHECK(count(*s, "SELECT COUNT(*) FROM pending_enrichment") == 0);
}

TEMPLATE_TEST_CASE("store: raw records are keyed by source and source id", "[store]", SqliteBackend,
                   PostgresBackend) {
  auto s = open_or_skip(TestType::url());
  if (!s) return;
  std::vector<RawRow> rows = {{"assessor", "1", "t1", "h1", R"({"a":1})"},
                              {"assessor", "2", "t1", "h1", R"({"a":2})"},
                              {"listings", "1", "t1", "h1", R"({"a":3})"}};
  auto c = s->upsert_raw(rows);
  CHECK(c.inserted == 3);
  c = s->upsert_raw(rows);
  CHECK(c.unchanged == 3);
  rows[0].content_hash = "h2";
  c = s->upsert_raw(rows);
  CHECK(c.updated == 1);
  CHECK(c.unchanged == 2);
  CHECK(count(*s, "SELECT COUNT(*) FROM raw_records") == 3);
}

ChunkRow chunk(const std::string& parent, std::int64_t index, std::int64_t count, const std::string& text,
               const std::string& embedding = "") {
  ChunkRow c;
  c.parent_id = parent;
  c.chunk_index = index;
  c.chunk_count = count;
  c.start_offset = index * 10;
  c.end_offset = index * 10 + static_cast<std::int64_t>(text.size());
  c.text = text;
  c.fields = R"({"source":"listings"})";
  c.embedding = embedding;
  c.embedding_model = embedding.empty() ? "" : "m";
  c.content_hash = "h:" + text + ":" + embedding;
  c.trace_id = "run-" + std::to_string(index);
  return c;
}

TEMPLATE_TEST_CASE("store: chunks are keyed by parent and index, and a shorter parent leaves none stale", "[store]",
                   SqliteBackend, PostgresBackend) {
  auto s = open_or_skip(TestType::url());
  if (!s) return;
  const std::string t1 = "2026-01-01T00:00:00.000Z", t2 = "2026-01-02T00:00:00.000Z";
  std::vector<ChunkRow> a = {chunk("p", 0, 4, "zero"), chunk("p", 1, 4, "one"), chunk("p", 2, 4, "two"),
                             chunk("p", 3, 4, "three"), chunk("q", 0, 1, "only")};
  auto c = s->upsert_chunks(a, "run1", t1);
  CHECK(c.inserted == 5);
  CHECK(c.removed == 0);
  CHECK(count(*s, "SELECT COUNT(*) FROM chunks") == 5);
  // Rerun: unchanged, nothing added; the rows name the run that last wrote them.
  c = s->upsert_chunks(a, "run2", t2);
  CHECK(c.unchanged == 5);
  CHECK(c.changed == std::vector<bool>(5, false));
  CHECK(count(*s, "SELECT COUNT(*) FROM chunks WHERE run_id = 'run2' AND stored_at = ?", {t2}) == 5);
  // changed_only: unchanged rows are counted, not written.
  c = s->upsert_chunks({chunk("q", 0, 1, "only")}, "run3", t2, false);
  CHECK(c.unchanged == 1);
  CHECK(*s->query("SELECT run_id FROM chunks WHERE parent_id = 'q'")[0][0] == "run2");
  // An embedding arriving later updates the chunk.
  c = s->upsert_chunks({chunk("q", 0, 1, "only", "[0.5,1]")}, "run4", t2);
  CHECK(c.updated == 1);
  auto q = s->query("SELECT embedding, embedding_model, trace_id FROM chunks WHERE parent_id = 'q'");
  CHECK(*q[0][0] == "[0.5,1]");
  CHECK(*q[0][1] == "m");
  CHECK(*q[0][2] == "run-0");
  // p's text now makes two chunks: 0 and 1 replaced, 2 and 3 deleted; q untouched.
  c = s->upsert_chunks({chunk("p", 0, 2, "new zero"), chunk("p", 1, 2, "new one")}, "run5", t2);
  CHECK(c.updated == 2);
  CHECK(c.removed == 2);
  auto p = s->query("SELECT chunk_index, chunk_count, text FROM chunks WHERE parent_id = 'p' ORDER BY chunk_index");
  REQUIRE(p.size() == 2);
  CHECK(*p[0][2] == "new zero");
  CHECK(*p[1][1] == "2");
  CHECK(count(*s, "SELECT COUNT(*) FROM chunks WHERE parent_id = 'q'") == 1);
  // The same key twice in one batch: two writes in order, the later one stored; the last row's
  // count decides what is stale (here an older four-chunk copy followed by a three-chunk one).
  c = s->upsert_chunks({chunk("r", 0, 4, "a"), chunk("r", 3, 4, "d"), chunk("r", 0, 3, "A"), chunk("r", 1, 3, "B"),
                        chunk("r", 2, 3, "C")},
                       "run6", t2);
  CHECK(c.inserted == 4);
  CHECK(c.updated == 1);
  CHECK(c.removed == 1);
  auto r = s->query("SELECT text FROM chunks WHERE parent_id = 'r' ORDER BY chunk_index");
  REQUIRE(r.size() == 3);
  CHECK(*r[0][0] == "A");
  CHECK(*r[2][0] == "C");
}

TEMPLATE_TEST_CASE("store: content hashes, touch, dead letters, cache", "[store]", SqliteBackend,
                   PostgresBackend) {
  auto s = open_or_skip(TestType::url());
  if (!s) return;
  s->upsert_properties({prop("a", "h1", 100)}, "r1", "2026-01-01T00:00:00.000Z");
  auto h = s->content_hashes({"a", "missing"});
  REQUIRE(h.size() == 2);
  CHECK(h[0] == std::optional<std::string>("h1"));
  CHECK(!h[1]);
  s->touch({"a"}, "r2", "2026-01-05T00:00:00.000Z");
  auto row = s->query("SELECT last_seen, last_run_id, last_status FROM properties");
  CHECK(*row[0][0] == "2026-01-05T00:00:00.000Z");
  CHECK(*row[0][1] == "r2");
  CHECK(*row[0][2] == "unchanged");

  s->add_dead_letters({{"r2", "validate", "a", R"({"data":{}})", "price: range: too high", "t"},
                       {"r2", "validate", "b", R"({"data":{}})", "price: range: too high", "t"}});
  CHECK(count(*s, "SELECT COUNT(*) FROM dead_letters WHERE run_id = ? AND node = ?", {"r2", "validate"}) == 2);

  CHECK(!s->cache_get("k", 1000));
  s->cache_put("k", "m", "v1", "t", 0);
  CHECK(s->cache_get("k", 1000) == std::optional<std::string>("v1"));
  s->cache_put("k", "m", "v2", "t", 2000);
  CHECK(s->cache_get("k", 1999) == std::optional<std::string>("v2"));
  CHECK(!s->cache_get("k", 2000));  // expired
}

TEMPLATE_TEST_CASE("store: run ledger rows and crashed runs", "[store]", SqliteBackend, PostgresBackend) {
  auto s = open_or_skip(TestType::url());
  if (!s) return;
  // a pid that surely is gone: a child that already exited and was reaped
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  s->run_started({"dead-run", "p", "2026-01-01T00:00:00.000Z", "host-a", child});
  s->run_started({"live-run", "p", "2026-01-01T00:00:01.000Z", "host-a", getppid()});
  s->run_started({"other-host", "p", "2026-01-01T00:00:02.000Z", "host-b", child});
  CHECK(s->mark_crashed_runs("host-a") == 1);
  auto st = [&](const std::string& id) { return *s->query("SELECT status FROM runs WHERE run_id = ?", {id})[0][0]; };
  CHECK(st("dead-run") == "crashed");
  CHECK(st("live-run") == "running");
  CHECK(st("other-host") == "running");

  RunFinish f;
  f.run_id = "live-run";
  f.pipeline = "p";
  f.finished_at = "2026-01-01T00:01:00.000Z";
  f.status = "ok";
  f.node_counts = R"({"store":{"in":3}})";
  f.summary = R"({"status":"ok"})";
  f.tokens = 42;
  f.inserted = 3;
  s->run_finished(f);
  auto r = s->query("SELECT status, tokens, inserted, started_at FROM runs WHERE run_id = ?", {"live-run"});
  CHECK(*r[0][0] == "ok");
  CHECK(std::stod(*r[0][1]) == 42);
  CHECK(*r[0][2] == "3");
  CHECK(*r[0][3] == "2026-01-01T00:00:01.000Z");
  // a finish without a start (the start could not be recorded) still makes a row
  f.run_id = "no-start";
  f.started_at = "2026-01-02T00:00:00.000Z";
  s->run_finished(f);
  CHECK(count(*s, "SELECT COUNT(*) FROM runs") == 4);
}

TEST_CASE("store: URLs pick the implementation and errors name the URL without the password", "[store]") {
  CHECK(redact_url("postgresql://me:s3cret@db:5432/x") == "postgresql://me:***@db:5432/x");
  CHECK(redact_url("postgresql://me@db/x") == "postgresql://me@db/x");
  CHECK_THROWS_WITH(Store::open("mongodb://x"), Catch::Contains("not supported"));
  CHECK_THROWS_WITH(Store::open("postgresql://me:s3cret@127.0.0.1:1/x?connect_timeout=2"),
                    Catch::Contains("me:***@") && !Catch::Contains("s3cret"));
  auto mem = Store::open("sqlite::memory:");
  CHECK(mem->kind() == "sqlite");
}
