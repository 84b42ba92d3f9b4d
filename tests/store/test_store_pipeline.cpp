// Whole pipelines through the engine: store sink, changed_filter, dead_letter_store, run
// ledger, metrics textfile and the LLM cache, against SQLite files and a real PostgreSQL.
#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/pipeline.hpp"
#include "nodes/store/lineage.hpp"
#include "nodes/store/llm_cache.hpp"
#include "nodes/store/register.hpp"
#include "nodes/store/schema.hpp"
#include "nodes/store/store.hpp"
#include "pg_server.hpp"
#include "test_nodes.hpp"
#include "tests/shared/run_checks.hpp"

using namespace flowrun;
namespace fs = std::filesystem;

namespace {

// Temp folders made by this binary, removed when it exits.
struct TempDirs {
  std::vector<fs::path> dirs;
  ~TempDirs() {
    std::error_code ec;
    for (const auto& d : dirs) fs::remove_all(d, ec);
  }
};
inline TempDirs g_temp_dirs;

fs::path temp_dir(const std::string& tag) {
  auto d = fs::temp_directory_path() / ("flowrun-store-pipe-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(d);
  fs::create_directories(d);
  g_temp_dirs.dirs.push_back(d);
  return d;
}

const Registry& registry() {
  static Registry r = [] {
    Registry reg;
    register_store_nodes(reg);
    testnodes::register_test_nodes(reg);
    return reg;
  }();
  return r;
}

RunSummary run_yaml(const std::string& yaml, std::map<std::string, std::string> settings = {}) {
  auto loaded = load_pipeline_string(yaml, "test.yaml", registry());
  if (!loaded.ok()) {
    std::string all;
    for (const auto& d : loaded.diagnostics.all()) all += d.str() + "\n";
    FAIL(all);
  }
  RunOptions o;
  o.settings = std::move(settings);
  auto s = flowrun::testing::run_checked(loaded.graph, registry(), o);
  return s;
}

double counter(const RunSummary& s, const std::string& k) {
  auto it = s.counters.find(k);
  return it == s.counters.end() ? 0 : it->second;
}

std::int64_t count(const std::string& url, const std::string& sql) {
  auto s = store::Store::open(url);
  return std::stoll(*s->query(sql).at(0).at(0));
}

std::string url_for(const std::string& backend, const std::string& tag) {
  if (backend == "sqlite") return "sqlite:" + (temp_dir(tag) / "store.db").string();
  return testpg::Server::instance().fresh_database();
}

}  // namespace

TEST_CASE("pipeline: store sink writes once, reruns add nothing and the ledger records both", "[pipeline]") {
  for (std::string backend : {"sqlite", "postgresql"}) {
    if (backend == "postgresql" && !testpg::binaries_present()) {
      WARN("PostgreSQL binaries absent: PostgreSQL pipeline skipped");
      continue;
    }
    DYNAMIC_SECTION(backend) {
      const std::string url = url_for(backend, "sink");
      const std::string yaml = "name: sinktest\nstore: " + url + R"(
nodes:
  gen: {type: test_gen, count: 300}
  store: {type: store, inputs: [gen], batch_size: 16, concurrency: 2}
)";
      auto s1 = run_yaml(yaml);
      CHECK(s1.status == "ok");
      CHECK(counter(s1, "store.inserted") == 300);
      CHECK(count(url, "SELECT COUNT(*) FROM properties") == 300);

      auto s2 = run_yaml(yaml);
      CHECK(counter(s2, "store.inserted") == 0);
      CHECK(counter(s2, "store.unchanged") == 300);
      CHECK(count(url, "SELECT COUNT(*) FROM properties") == 300);
      CHECK(count(url, "SELECT COUNT(*) FROM property_history") == 300);

      // ten prices change: ten updates, ten history rows
      auto yaml3 = yaml;
      yaml3.replace(yaml3.find("count: 300"), 10, "count: 300, bump: 500, bump_below: 10");
      auto s3 = run_yaml(yaml3);
      CHECK(counter(s3, "store.updated") == 10);
      CHECK(counter(s3, "store.unchanged") == 290);
      CHECK(count(url, "SELECT COUNT(*) FROM property_history") == 310);

      auto st = store::Store::open(url);
      auto runs = st->query("SELECT status, inserted, unchanged, node_counts FROM runs ORDER BY started_at");
      REQUIRE(runs.size() == 3);
      CHECK(*runs[0][0] == "ok");
      CHECK(*runs[0][1] == "300");
      CHECK(*runs[1][2] == "300");
      CHECK(runs[2][3]->find("\"store\"") != std::string::npos);
    }
  }
}

TEST_CASE("pipeline: changed_filter passes only new or changed records", "[pipeline]") {
  const std::string url = url_for("sqlite", "filter");
  auto yaml = [&](const std::string& gen_opts) {
    return "name: filtertest\nstore: " + url + "\nnodes:\n  gen: {type: test_gen, count: 100" + gen_opts +
           "}\n  changed: {type: changed_filter, inputs: [gen]}\n"
           "  downstream: {type: test_count, inputs: [changed]}\n"
           "  store: {type: store, inputs: [changed], batch_size: 7}\n";
  };
  testnodes::g_counted = 0;
  auto s1 = run_yaml(yaml(""));
  CHECK(testnodes::g_counted == 100);
  CHECK(counter(s1, "store.inserted") == 100);

  testnodes::g_counted = 0;
  auto s2 = run_yaml(yaml(""));
  CHECK(testnodes::g_counted == 0);  // the expensive step saw nothing
  CHECK(counter(s2, "store.unchanged") == 100);
  CHECK(count(url, "SELECT COUNT(*) FROM properties WHERE last_run_id = '" + s2.run_id + "'") == 100);

  testnodes::g_counted = 0;
  auto s3 = run_yaml(yaml(", bump: 1, bump_below: 5"));
  CHECK(testnodes::g_counted == 5);
  CHECK(counter(s3, "store.updated") == 5);
  CHECK(counter(s3, "store.unchanged") == 95);
}

TEST_CASE("pipeline: pending enrichments pass changed_filter again until done or out of attempts", "[pipeline]") {
  const std::string url = url_for("sqlite", "pending");
  auto yaml = [&](const std::string& status) {
    return "name: pendingtest\nstore: " + url +
           "\nnodes:\n  gen: {type: test_gen, count: 20}\n"
           "  changed: {type: changed_filter, inputs: [gen], pending_attempts: 3}\n"
           "  enrich: {type: test_enrich, inputs: [changed], status: " + status + "}\n"
           "  store: {type: store, inputs: [enrich], batch_size: 7}\n";
  };
  auto attempts = [&] { return count(url, "SELECT MAX(enrichment_attempts) FROM properties"); };
  for (int run = 1; run <= 3; ++run) {  // the LLM is down: stored pending, tried again next run
    testnodes::g_enriched = 0;
    auto s = run_yaml(yaml("pending"));
    CHECK(s.status == "ok");
    CHECK(testnodes::g_enriched == 20);
    CHECK(attempts() == run);
    if (run > 1) CHECK(counter(s, "changed_filter.pending_retried") == 20);
  }
  testnodes::g_enriched = 0;
  auto given_up = run_yaml(yaml("pending"));  // three attempts made: no more
  CHECK(testnodes::g_enriched == 0);
  CHECK(counter(given_up, "changed_filter.pending_given_up") == 20);

  // a fresh store: pending once, then the LLM is back and the next run enriches them for good
  const std::string url2 = url_for("sqlite", "pending2");
  auto yaml2 = [&](const std::string& status) {
    auto y = yaml(status);
    y.replace(y.find(url), url.size(), url2);
    return y;
  };
  run_yaml(yaml2("pending"));
  testnodes::g_enriched = 0;
  run_yaml(yaml2("done"));
  CHECK(testnodes::g_enriched == 20);
  CHECK(count(url2, "SELECT COUNT(*) FROM properties WHERE enrichment_status = 'done'") == 20);
  testnodes::g_enriched = 0;
  auto after = run_yaml(yaml2("done"));
  CHECK(testnodes::g_enriched == 0);  // done: unchanged records stop at the filter again
  CHECK(counter(after, "store.unchanged") == 20);
}

TEST_CASE("pipeline: a record with an id but no address is stored with a null address and a warning", "[pipeline]") {
  const std::string url = url_for("sqlite", "noaddr");
  auto s = run_yaml("name: noaddr\nstore: " + url +
                    "\nnodes:\n  gen: {type: test_gen, count: 10, no_address_every: 5}\n"
                    "  store: {type: store, inputs: [gen]}\n");
  CHECK(s.status == "ok");
  CHECK(count(url, "SELECT COUNT(*) FROM properties") == 10);
  CHECK(count(url, "SELECT COUNT(*) FROM properties WHERE zip IS NULL") == 2);
  bool warned = false;
  for (const auto& w : s.warnings) warned = warned || w.find("2 records stored without an address") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("pipeline: the store's `table:` alias picks what it writes", "[pipeline]") {
  const std::string url = url_for("sqlite", "alias");
  auto s = run_yaml("name: alias\nstore: " + url +
                    "\nnodes:\n  gen: {type: test_gen, count: 6}\n  store: {type: store, inputs: [gen], table: raw}\n");
  CHECK(s.status == "ok");
  CHECK(count(url, "SELECT COUNT(*) FROM raw_records") == 6);
  CHECK(count(url, "SELECT COUNT(*) FROM properties") == 0);
}

TEST_CASE("check: an unsupported store URL scheme is an error at its line", "[pipeline]") {
  auto loaded = load_pipeline_string(
      "name: badurl\nnodes:\n  gen: {type: test_gen}\n  store: {type: store, inputs: [gen], url: \"mongodb://h/db\"}\n",
      "test.yaml", registry());
  REQUIRE(!loaded.ok());
  std::string all;
  for (const auto& d : loaded.diagnostics.all()) all += d.str() + "\n";
  CHECK_THAT(all, Catch::Contains("test.yaml:4:") && Catch::Contains("unsupported store URL"));
}

TEST_CASE("pipeline: records the store rejects land in dead_letters with node and reason", "[pipeline]") {
  const std::string url = url_for("sqlite", "dead");
  const std::string yaml = "name: deadtest\nstore: " + url + R"(
nodes:
  gen: {type: test_gen, count: 50, no_id_every: 10}
  store: {type: store, inputs: [gen], batch_size: 8}
  rejects: {type: dead_letter_store, inputs: [store.errors]}
)";
  auto s = run_yaml(yaml);
  CHECK(counter(s, "store.inserted") == 45);
  auto st = store::Store::open(url);
  auto rows = st->query("SELECT node, reason, run_id FROM dead_letters");
  REQUIRE(rows.size() == 5);
  CHECK(*rows[0][0] == "store");
  CHECK_THAT(*rows[0][1], Catch::Contains("id: required"));
  CHECK(*rows[0][2] == s.run_id);
  CHECK(*st->query("SELECT dead_letters FROM runs")[0][0] == "5");
}

TEST_CASE("pipeline: unconsumed error ports go to a dead_letter_store in the pipeline", "[pipeline]") {
  const std::string url = url_for("sqlite", "unrouted");
  const std::string yaml = "name: unrouted\nstore: " + url + R"(
nodes:
  gen: {type: test_gen, count: 20, no_id_every: 4}
  store: {type: store, inputs: [gen]}
  rejects: {type: dead_letter_store}
)";
  auto s = run_yaml(yaml);
  CHECK(count(url, "SELECT COUNT(*) FROM dead_letters") == 5);
}

TEST_CASE("pipeline: the metrics textfile carries node and store counters", "[pipeline]") {
  auto dir = temp_dir("metrics");
  const std::string yaml = "name: metrictest\nstore: sqlite:" + (dir / "m.db").string() + R"(
nodes:
  gen: {type: test_gen, count: 5}
  store: {type: store, inputs: [gen]}
)";
  auto path = (dir / "out" / "flowrun.prom").string();
  flowrun::write_prometheus_textfile(path, run_yaml(yaml));  // what `flowrun run --metrics-textfile` does
  std::ifstream f(path);
  REQUIRE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  CHECK_THAT(ss.str(), Catch::Contains(R"(flowrun_node_records_in_total{pipeline="metrictest",node="store",type="store",role="sink"} 5)"));
  CHECK_THAT(ss.str(), Catch::Contains(R"(name="store.inserted"} 5)"));
}

TEST_CASE("pipeline: a store that cannot be opened fails the run naming the node", "[pipeline]") {
  auto dir = temp_dir("badstore");
  fs::create_directories(dir / "blocked.db");  // a folder where the file should be
  const std::string yaml = "name: bad\nstore: sqlite:" + (dir / "blocked.db").string() + R"(
nodes:
  gen: {type: test_gen, count: 5}
  store: {type: store, inputs: [gen]}
)";
  auto loaded = load_pipeline_string(yaml, "test.yaml", registry());
  REQUIRE(loaded.ok());
  // A node that cannot start fails the run (exit 1) with a summary that names it, so that the
  // ledger and the report record the failure; nothing is left half-open.
  auto summary = flowrun::testing::run_checked(loaded.graph, registry());
  CHECK(summary.exit_code == 1);
  CHECK(summary.status == "failed");
  CHECK_THAT(summary.failure, Catch::Contains("node 'store' could not start"));
}

TEST_CASE("llm cache: in the store across runs, in memory without a store", "[cache]") {
  auto url = url_for("sqlite", "cache");
  auto res = Resources::from_yaml(YAML::Node());
  {
    RunContext ctx("p", "r1", *res, {{"store", url}});
    auto c = store::open_llm_cache(ctx);
    CHECK(c == store::open_llm_cache(ctx));  // one per run
    CHECK(!c->get("k"));
    c->put("k", "model-a", R"({"x":1})", std::chrono::hours(24));
    c->put("old", "model-a", "v", std::chrono::seconds(-1));  // ttl <= 0: never expires
  }
  {
    RunContext ctx("p", "r2", *res, {{"store", url}});
    auto c = store::open_llm_cache(ctx);
    CHECK(c->get("k") == std::optional<std::string>(R"({"x":1})"));
    CHECK(c->get("old") == std::optional<std::string>("v"));
  }
  {
    RunContext ctx("p", "r3", *res, {});
    auto c = store::open_llm_cache(ctx);
    CHECK(!c->get("k"));
    c->put("k", "m", "v", std::chrono::seconds(60));
    CHECK(c->get("k") == std::optional<std::string>("v"));
  }
  CHECK(count(url, "SELECT COUNT(*) FROM llm_cache WHERE model = 'model-a'") == 2);
}

// ---- lineage: trace and run ids on every row (schema migration 3) ------------------------------

TEST_CASE("lineage: every stored row carries the trace id and run of the record that wrote it", "[pipeline][lineage]") {
  auto backend = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  const std::string url = url_for(backend, "lineage");
  const std::string yaml = "name: lineage\nstore: " + url + R"(
nodes:
  gen: {type: test_gen, count: 20, no_id_every: 5}
  props: {type: store, inputs: [gen], batch_size: 3}
  raw: {type: store, kind: raw, inputs: [gen], batch_size: 7}
  rejects: {type: dead_letter_store, inputs: [props.errors]}
)";
  auto s = run_yaml(yaml);
  REQUIRE(s.exit_code == 0);
  auto st = store::Store::open(url);
  const std::string like = s.run_id + "-%";
  CHECK(*st->query("SELECT COUNT(*) FROM properties WHERE last_trace_id LIKE ? AND last_run_id = ?",
                   {like, s.run_id})[0][0] == "16");
  CHECK(*st->query("SELECT COUNT(*) FROM property_history WHERE trace_id LIKE ?", {like})[0][0] == "16");
  CHECK(*st->query("SELECT COUNT(*) FROM raw_records WHERE trace_id LIKE ? AND run_id = ?", {like, s.run_id})[0][0] ==
        "20");
  CHECK(*st->query("SELECT COUNT(*) FROM dead_letters WHERE trace_id LIKE ?", {like})[0][0] == "4");

  // A stored record: its property row and its raw row share the trace id (one source record).
  const std::string stored = *st->query("SELECT last_trace_id FROM properties WHERE id = 'apn:7'")[0][0];
  auto l = store::lineage_of(*st, stored);
  CHECK(l.run_id == s.run_id);
  CHECK(l.run_status == "ok");
  std::map<std::string, std::string> by_table;
  for (const auto& r : l.rows) by_table[r.table] = r.key;
  CHECK(by_table["properties"] == "apn:7");
  CHECK(by_table["property_history"] == "apn:7");
  CHECK(by_table["raw_records"] == "gen/7");
  CHECK(!by_table.count("dead_letters"));

  // A dead-lettered record (no id): its dead letter names the node and the reason.
  const std::string failed = *st->query("SELECT trace_id FROM dead_letters ORDER BY id")[0][0];
  auto d = store::lineage_of(*st, failed);
  REQUIRE(d.rows.size() == 2);  // its raw row and its dead letter
  const auto& dl = d.rows[0].table == "dead_letters" ? d.rows[0] : d.rows[1];
  CHECK(dl.table == "dead_letters");
  CHECK(dl.run_id == s.run_id);
  CHECK_THAT(dl.detail, Catch::StartsWith("props: ") && Catch::Contains("id: required"));
  CHECK_THAT(dl.record, Catch::Contains(failed));  // the stored record's envelope keeps it too
  CHECK(store::lineage_of(*st, s.run_id + "-999999").rows.empty());
}

TEST_CASE("lineage: an unchanged record marked seen takes the new run's trace id", "[pipeline][lineage]") {
  const std::string url = url_for("sqlite", "lineage-touch");
  const std::string yaml = "name: touch\nstore: " + url + R"(
nodes:
  gen: {type: test_gen, count: 6}
  changed: {type: changed_filter, inputs: [gen], batch_size: 4}
  store: {type: store, inputs: [changed]}
)";
  auto first = run_yaml(yaml);
  auto second = run_yaml(yaml);
  REQUIRE(first.run_id != second.run_id);
  auto st = store::Store::open(url);
  auto rows = st->query("SELECT last_trace_id, last_run_id FROM properties ORDER BY id");
  REQUIRE(rows.size() == 6);
  for (const auto& r : rows) {
    CHECK_THAT(*r[0], Catch::StartsWith(second.run_id + "-"));
    CHECK(*r[1] == second.run_id);
  }
  // The first run's history rows keep the first run's trace ids (nothing changed since).
  CHECK(*st->query("SELECT COUNT(*) FROM property_history WHERE trace_id LIKE ?", {first.run_id + "-%"})[0][0] == "6");
}

TEST_CASE("lineage: LLM cache entries name the record and run that asked", "[cache][lineage]") {
  auto url = url_for("sqlite", "cache-lineage");
  auto res = Resources::from_yaml(YAML::Node());
  RunContext ctx("p", "run-9", *res, {{"store", url}});
  store::open_llm_cache(ctx)->put("k", "m", "v", std::chrono::hours(1), "run-9-42");
  auto st = store::Store::open(url);
  auto rows = st->query("SELECT trace_id, run_id FROM llm_cache WHERE key = 'k'");
  REQUIRE(rows.size() == 1);
  CHECK(*rows[0][0] == "run-9-42");
  CHECK(*rows[0][1] == "run-9");
  auto l = store::lineage_of(*st, "run-9-42");
  REQUIRE(l.rows.size() == 1);
  CHECK(l.rows[0].table == "llm_cache");
  CHECK(l.run_status.empty());  // run-9 never reached the ledger
}

TEST_CASE("lineage: a store made before migration 3 gains the columns and keeps its rows", "[lineage]") {
  const auto path = temp_dir("v2") / "old.db";
  {  // a version-2 store, as an older flowrun left it
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    std::string sql = "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT, applied_at TEXT);";
    for (const auto& m : store::sqlite_migrations())
      if (m.version <= 2) sql += std::string(m.sql) + "INSERT INTO schema_version VALUES (" + std::to_string(m.version) + ", 'old', 'then');";
    sql += "INSERT INTO properties (id, body, content_hash, first_seen, last_seen, last_changed, last_run_id, last_status) "
           "VALUES ('apn:1', '{}', 'h', 't', 't', 't', 'old-run', 'inserted');";
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  }
  auto st = store::Store::open("sqlite:" + path.string());
  CHECK(st->schema_version() == store::sqlite_migrations().back().version);
  auto old = st->query("SELECT last_run_id, last_trace_id FROM properties WHERE id = 'apn:1'");
  REQUIRE(old.size() == 1);
  CHECK(*old[0][0] == "old-run");
  CHECK(!old[0][1]);  // written before lineage: no trace id, not a made-up one
  store::PropertyRow r;
  r.id = "apn:2", r.body = "{}", r.content_hash = "h2", r.trace_id = "new-run-1", r.price = 1;
  st->upsert_properties({r}, "new-run", "t2");
  CHECK(store::lineage_of(*st, "new-run-1").rows.size() == 2);  // the property and its first history row
}
