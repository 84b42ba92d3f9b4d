// Whole pipelines through the engine: store sink, changed_filter, dead_letter_store, run
// ledger, metrics textfile and the LLM cache, against SQLite files and a real PostgreSQL.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/pipeline.hpp"
#include "nodes/store/llm_cache.hpp"
#include "nodes/store/register.hpp"
#include "nodes/store/store.hpp"
#include "pg_server.hpp"
#include "test_nodes.hpp"

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
  return run_pipeline(loaded.graph, registry(), o);
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
  auto summary = run_pipeline(loaded.graph, registry());
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
