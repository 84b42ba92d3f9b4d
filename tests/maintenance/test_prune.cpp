// flowrun prune and the pipeline's `retention:` on a store holding 90 days of generated history,
// on SQLite files and on a real PostgreSQL: rows removed per table, current properties untouched,
// the ledger and `flowrun report` still right afterwards.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "engine/pipeline.hpp"
#include "nodes/store/prune.hpp"
#include "nodes/store/record_rows.hpp"
#include "nodes/store/register.hpp"
#include "nodes/store/run_ledger.hpp"
#include "nodes/store/store.hpp"
#include "tests/shared/flowrun_runs.hpp"
#include "tests/store/pg_server.hpp"
#include "tests/store/test_nodes.hpp"
#include "tests/shared/run_checks.hpp"

using namespace flowrun::testing;
using namespace flowrun::store;
namespace json = boost::json;
using std::chrono::hours;

namespace {

using Clock = std::chrono::system_clock;
constexpr int kDays = 90, kKeepDays = 30;
constexpr int kChanging = 25, kSteady = 25, kGone = 10;  // properties by how their price moves
constexpr int kRawDaily = 20, kRawSteady = 5, kDeadDaily = 3, kCacheDaily = 4;

std::string ago(Clock::time_point now, int days) {
  // One hour past each day boundary, so "older than 30d" is never a matter of milliseconds.
  return iso_utc(now - hours(24 * days) - hours(1));
}

PropertyRow property(const std::string& id, double price) {
  PropertyRow r;
  r.id = id;
  r.source = "assessor";
  r.zip = "85031";
  r.body = R"({"id":")" + id + R"(","price":)" + std::to_string(static_cast<long>(price)) + "}";
  r.content_hash = sha256_hex(r.body);
  r.price = price;
  return r;
}

// 90 daily runs as the daily pipeline leaves them. Day k (0 = oldest, 89 days ago):
// - a ledger row (through the real ledger code) and 3 dead letters;
// - properties c00..c24 whose price changes every 10 days (history rows at k = 0, 10, ..., 80),
//   s00..s24 whose price never changes (one history row, at k = 0), and g00..g09 seen only on
//   day 0 (delisted long ago, still current properties);
// - 20 raw records seen only that day and 5 refreshed every day; 4 LLM cache entries.
// Plus one run still `running` since day 10 (a live run on another host: never pruned).
void generate_history(Store& s, Clock::time_point now) {
  for (int k = 0; k < kDays; ++k) {
    const int days_ago = kDays - 1 - k;
    const std::string at = ago(now, days_ago), run = "run-" + std::to_string(1000 + k).substr(1);
    flowrun::RunSummary sum;
    sum.run_id = run, sum.pipeline = "daily", sum.status = "ok", sum.started_at = at, sum.finished_at = at;
    sum.duration_ms = 1000 + k, sum.dead_letters = kDeadDaily, sum.source_records = 100;
    sum.counters = {{"store.inserted", k == 0 ? 60.0 : 0.0}, {"llm.tokens", 1000.0 + k}};
    s.run_started({run, "daily", at, "testhost", 1});
    s.run_finished(run_finish_from(sum));

    std::vector<PropertyRow> props;
    for (int i = 0; i < kChanging; ++i) props.push_back(property("c" + std::to_string(100 + i).substr(1), 100000 + 1000 * (k / 10)));
    for (int i = 0; i < kSteady; ++i) props.push_back(property("s" + std::to_string(100 + i).substr(1), 200000));
    if (k == 0)
      for (int i = 0; i < kGone; ++i) props.push_back(property("g" + std::to_string(100 + i).substr(1), 300000));
    s.upsert_properties(props, run, at);

    std::vector<RawRow> raw;
    for (int i = 0; i < kRawDaily; ++i) raw.push_back({"listings", run + "-" + std::to_string(i), at, "h", R"({"x":1})"});
    for (int i = 0; i < kRawSteady; ++i) raw.push_back({"assessor", "steady-" + std::to_string(i), at, "h", R"({"y":1})"});
    s.upsert_raw(raw);

    std::vector<DeadLetterRow> dead;
    for (int i = 0; i < kDeadDaily; ++i) dead.push_back({run, "validate", "c00", R"({"data":{}})", "price: required", at});
    s.add_dead_letters(dead);
    for (int i = 0; i < kCacheDaily; ++i) s.cache_put(run + "-" + std::to_string(i), "llama3.2", "{}", at, 0);
  }
  s.run_started({"live-run", "daily", ago(now, kDays - 1 - 10), "otherhost", 1});
}

std::int64_t count(Store& s, const std::string& table) { return std::stoll(*s.query("SELECT COUNT(*) FROM " + table).at(0).at(0)); }

std::string properties_snapshot(Store& s) {
  std::string out;
  for (const auto& row : s.query("SELECT id, source, zip, body, content_hash, price, first_seen, last_seen, "
                                 "last_changed, last_run_id, last_status FROM properties ORDER BY id")) {
    for (const auto& v : row) out += v.value_or("NULL") + "|";
    out += "\n";
  }
  return out;
}

// The per-table lines of `flowrun prune` output: table -> {removed, left}.
std::map<std::string, std::pair<std::int64_t, std::int64_t>> prune_table(const std::string& out) {
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> t;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string table, a, b;
    words >> table >> a >> b;
    if (!a.empty() && std::isdigit(static_cast<unsigned char>(a[0])) && !b.empty()) t[table] = {std::stoll(a), std::stoll(b)};
  }
  return t;
}

std::vector<std::string> backends() {
  std::vector<std::string> b = {"sqlite"};
  if (testpg::binaries_present()) b.push_back("postgresql");
  else WARN("PostgreSQL 15 binaries not installed: prune on PostgreSQL skipped");
  return b;
}

std::string url_for(const std::string& backend, const std::string& tag) {
  if (backend == "sqlite") return "sqlite:" + (temp_dir(tag) / "store.db").string();
  return testpg::Server::instance().fresh_database();
}

// Expected after pruning at 30 days: the last 30 days' rows, plus what is always kept.
constexpr std::int64_t kRunsBefore = kDays + 1, kRunsAfter = kKeepDays + 1;  // + the live run
constexpr std::int64_t kDeadBefore = kDays * kDeadDaily, kDeadAfter = kKeepDays * kDeadDaily;
constexpr std::int64_t kRawBefore = kDays * kRawDaily + kRawSteady, kRawAfter = kKeepDays * kRawDaily + kRawSteady;
constexpr std::int64_t kCacheBefore = kDays * kCacheDaily, kCacheAfter = kKeepDays * kCacheDaily;
// History: changing properties have rows at k = 0, 10, ..., 80 (9); of those k >= 60 are within
// 30 days (3). Steady and gone ones have one row each, their latest: kept however old.
constexpr std::int64_t kHistBefore = kChanging * 9 + kSteady + kGone, kHistAfter = kChanging * 3 + kSteady + kGone;

}  // namespace

TEST_CASE("flowrun prune --older-than 30d on 90 days of history, SQLite and PostgreSQL", "[prune][cli]") {
  for (const auto& backend : backends()) {
    DYNAMIC_SECTION(backend) {
      const std::string url = url_for(backend, "cli");
      auto s = Store::open(url);
      generate_history(*s, Clock::now());
      REQUIRE(count(*s, "runs") == kRunsBefore);
      REQUIRE(count(*s, "dead_letters") == kDeadBefore);
      REQUIRE(count(*s, "raw_records") == kRawBefore);
      REQUIRE(count(*s, "llm_cache") == kCacheBefore);
      REQUIRE(count(*s, "property_history") == kHistBefore);
      REQUIRE(count(*s, "properties") == kChanging + kSteady + kGone);
      const std::string props = properties_snapshot(*s);
      const auto dir = temp_dir("cli-run-" + backend);

      // --dry-run: what would go, and nothing goes.
      auto r = run_flowrun({"prune", "--store", url, "--older-than", "30d", "--history", "--dry-run"}, dir);
      INFO(r.out << r.err);
      REQUIRE(r.code == 0);
      auto t = prune_table(r.out);
      CHECK(t["runs"] == std::make_pair(kRunsBefore - kRunsAfter, kRunsAfter));
      CHECK(t["property_history"] == std::make_pair(kHistBefore - kHistAfter, kHistAfter));
      CHECK(count(*s, "runs") == kRunsBefore);
      CHECK(count(*s, "property_history") == kHistBefore);

      // Without --history: price history kept. Small batches, so the loop runs many times.
      r = run_flowrun({"prune", "--store", url, "--older-than", "30d", "--batch-size", "7"}, dir);
      REQUIRE(r.code == 0);
      t = prune_table(r.out);
      CHECK(t["runs"] == std::make_pair(kRunsBefore - kRunsAfter, kRunsAfter));
      CHECK(t["dead_letters"] == std::make_pair(kDeadBefore - kDeadAfter, kDeadAfter));
      CHECK(t["raw_records"] == std::make_pair(kRawBefore - kRawAfter, kRawAfter));
      CHECK(t["llm_cache"] == std::make_pair(kCacheBefore - kCacheAfter, kCacheAfter));
      CHECK(t.count("property_history") == 0);
      CHECK_THAT(r.out, Catch::Contains("kept (--history prunes it)"));
      CHECK(count(*s, "runs") == kRunsAfter);
      CHECK(count(*s, "dead_letters") == kDeadAfter);
      CHECK(count(*s, "raw_records") == kRawAfter);
      CHECK(count(*s, "llm_cache") == kCacheAfter);
      CHECK(count(*s, "property_history") == kHistBefore);
      CHECK(s->query("SELECT status FROM runs WHERE run_id = 'live-run'").size() == 1);  // still running: kept
      CHECK(std::stoll(*s->query("SELECT COUNT(*) FROM raw_records WHERE source = 'assessor'").at(0).at(0)) == kRawSteady);

      // --history: each property keeps at least its latest row.
      r = run_flowrun({"prune", "--store", url, "--older-than", "30d", "--history"}, dir);
      REQUIRE(r.code == 0);
      CHECK(prune_table(r.out)["property_history"] == std::make_pair(kHistBefore - kHistAfter, kHistAfter));
      CHECK(count(*s, "property_history") == kHistAfter);
      CHECK(s->query("SELECT p.id FROM properties p WHERE NOT EXISTS (SELECT 1 FROM property_history h "
                     "WHERE h.id = p.id)").empty());
      // The latest history row of a changing property still holds its current price.
      CHECK(*s->query("SELECT price FROM property_history WHERE id = 'c00' ORDER BY seen_at DESC LIMIT 1")
                 .at(0).at(0) == *s->query("SELECT price FROM properties WHERE id = 'c00'").at(0).at(0));

      CHECK(properties_snapshot(*s) == props);  // never the current properties

      // Pruning again finds nothing.
      r = run_flowrun({"prune", "--store", url, "--older-than", "30d", "--history"}, dir);
      for (const auto& [table, n] : prune_table(r.out)) CHECK(n.first == 0);

#ifdef FLOWRUN_TEST_HAVE_REPORT
      // The report still reads the ledger: the latest run and the last 7 runs.
      r = run_flowrun({"report", "--store", url, "--out", "report.json"}, dir);
      INFO(r.err);
      REQUIRE(r.code == 0);
      std::ifstream in(dir / "report.json");
      std::stringstream ss;
      ss << in.rdbuf();
      auto rep = json::parse(ss.str()).as_object();
      CHECK(rep.at("run").as_object().at("run_id") == "run-089");
      CHECK(rep.at("runs").as_array().size() == 7);
      CHECK(rep.at("properties_in_store").to_number<int>() == kChanging + kSteady + kGone);
#endif
    }
  }
}

TEST_CASE("retention: the pipeline's store is pruned at the end of a run, and the ledger hears of it", "[prune][retention]") {
  static flowrun::Registry registry = [] {
    flowrun::Registry reg;
    flowrun::register_store_nodes(reg);
    testnodes::register_test_nodes(reg);
    return reg;
  }();
  for (const auto& backend : backends()) {
    DYNAMIC_SECTION(backend) {
      const std::string url = url_for(backend, "retention");
      auto s = Store::open(url);
      generate_history(*s, Clock::now());
      const std::string props = properties_snapshot(*s);
      const std::string yaml = "name: daily\nstore: " + url + R"(
retention: {runs: 30d, dead_letters: 30d, raw_records: 30d, llm_cache: 30d}
nodes:
  gen: {type: test_gen, count: 20}
  store: {type: store, inputs: [gen]}
)";
      auto loaded = flowrun::load_pipeline_string(yaml, "retention.yaml", registry);
      REQUIRE(loaded.ok());
      auto sum = flowrun::testing::run_checked(loaded.graph, registry);
      REQUIRE(sum.status == "ok");
      CHECK(sum.counters["store.pruned.runs"] == kRunsBefore - kRunsAfter);
      CHECK(sum.counters["store.pruned.dead_letters"] == kDeadBefore - kDeadAfter);
      CHECK(sum.counters["store.pruned.raw_records"] == kRawBefore - kRawAfter);
      CHECK(sum.counters["store.pruned.llm_cache"] == kCacheBefore - kCacheAfter);
      CHECK(sum.counters.count("store.pruned.property_history") == 0);
      CHECK(count(*s, "runs") == kRunsAfter + 1);  // this run's own row stays
      CHECK(count(*s, "property_history") == kHistBefore + 20);  // not asked for; gen's first sightings
      // The ledger row of this run is complete and carries the prune counters.
      auto row = s->query("SELECT status, summary FROM runs WHERE run_id = ?", {sum.run_id});
      REQUIRE(row.size() == 1);
      CHECK(*row[0][0] == "ok");
      CHECK_THAT(*row[0][1], Catch::Contains("store.pruned.runs"));
      // The generated properties are as they were; the run added its 20.
      CHECK(count(*s, "properties") == kChanging + kSteady + kGone + 20);
      std::string after = properties_snapshot(*s), old_only;
      std::istringstream lines(after);
      for (std::string l; std::getline(lines, l);)
        if (l.rfind("apn:", 0) != 0) old_only += l + "\n";
      CHECK(old_only == props);
    }
  }
}

TEST_CASE("retention: `check` rejects an unknown table or a bad duration with file:line:column", "[retention]") {
  flowrun::Registry reg;
  flowrun::register_store_nodes(reg);
  testnodes::register_test_nodes(reg);
  auto load = [&](const std::string& retention) {
    std::string all;
    auto r = flowrun::load_pipeline_string("store: \"sqlite::memory:\"\nretention: " + retention +
                                               "\nnodes:\n  gen: {type: test_gen}\n",
                                           "p.yaml", reg);
    for (const auto& d : r.diagnostics.all())
      if (d.severity == flowrun::Severity::error) all += d.str() + "\n";
    return all;  // errors only (a source without consumers is a warning)
  };
  CHECK_THAT(load("{dead_leters: 30d}"), Catch::Contains("p.yaml:2:13: error: retention: unknown table 'dead_leters' (did you mean 'dead_letters'?)"));
  CHECK_THAT(load("{runs: soon}"), Catch::Contains("p.yaml:2:19: error: retention.runs must be a duration like 90d or 12h"));
  CHECK_THAT(load("30d"), Catch::Contains("'retention' must be a map"));
  CHECK(load("{runs: 400d, property_history: 2y}").find("property_history") != std::string::npos);
  CHECK(load("{runs: 400d, dead_letters: 90d, raw_records: 90d, llm_cache: 180d, property_history: 730d}").empty());
  // The engine accepts exactly the tables the store can prune.
  for (const auto& t : prunable_tables()) CHECK(load("{" + t + ": 1d}").empty());
}

TEST_CASE("prune_store: an unknown table is refused before anything is deleted", "[prune]") {
  auto s = Store::open("sqlite::memory:");
  CHECK_THROWS_WITH(prune_store(*s, {{"properties", std::chrono::hours(1)}}),
                    Catch::Contains("'properties' is not a table prune may thin"));
}

TEST_CASE("retention without a store is a warning in the summary, not a silent no-op", "[retention]") {
  flowrun::Registry reg;
  flowrun::register_store_nodes(reg);
  testnodes::register_test_nodes(reg);
  // Only a node of its own names a database: the pipeline has no store: for retention to prune.
  const std::string node_db = "sqlite:" + (temp_dir("no-store") / "rejects.db").string();
  auto loaded = flowrun::load_pipeline_string("retention: {runs: 30d}\nnodes:\n  gen: {type: test_gen}\n"
                                              "  count: {type: test_count, inputs: [gen]}\n"
                                              "  rejects: {type: dead_letter_store, url: \"" + node_db + "\"}\n",
                                              "p.yaml", reg);
  REQUIRE(loaded.ok());
  auto sum = flowrun::testing::run_checked(loaded.graph, reg);
  CHECK(sum.status == "ok");
  REQUIRE(sum.warnings.size() == 1);
  CHECK_THAT(sum.warnings[0], Catch::Contains("retention: the pipeline has no store"));
}
