// The report from a store with known content: numbers, formats, and the HTML in a real
// headless Chromium (screenshot taken, no console errors).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nodes/report/report.hpp"
#include "nodes/store/store.hpp"

using namespace flowrun;
namespace fs = std::filesystem;
namespace json = boost::json;

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
  auto d = fs::temp_directory_path() / ("flowrun-report-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(d);
  fs::create_directories(d);
  g_temp_dirs.dirs.push_back(d);
  return d;
}

store::PropertyRow prop(const std::string& id, const std::string& source, const std::string& zip,
                        std::optional<double> price, std::optional<double> assessed, const std::string& hash = "h") {
  store::PropertyRow r;
  r.id = id, r.source = source, r.zip = zip, r.price = price, r.assessed_value = assessed;
  r.content_hash = hash;
  r.body = "{\"id\":\"" + id + "\"}";
  return r;
}

std::string summary_json(const std::string& run_id, double calls, double hits) {
  json::object s{{"run_id", run_id},
                 {"status", "ok"},
                 {"nodes", json::array{json::object{{"id", "assessor"}, {"type", "maricopa_api"}, {"in", 0},
                                                    {"out", 6}, {"errors", 0}, {"p50_ms", 1.5}, {"p95_ms", 9.0}},
                                       json::object{{"id", "validate"}, {"type", "validator"}, {"in", 6},
                                                    {"out", 5}, {"errors", 1}, {"p50_ms", 0.1}, {"p95_ms", 0.2}}}},
                 {"counters", json::object{{"llm.calls", calls}, {"llm.cache_hits", hits}, {"llm.tokens", 1500.0},
                                           {"llm.cost", 0.25}}},
                 {"resources", json::object{{"assessor", json::object{{"kind", "rate_limit"}, {"waits", 4}, {"waited_ms", 1200}}}}}};
  return json::serialize(s);
}

// Two runs: r1 inserts 4 properties; r2 sees 5 (one new, one price change, three unchanged).
std::string make_store(const fs::path& dir) {
  const std::string url = "sqlite:" + (dir / "r.db").string();
  auto st = store::Store::open(url);
  st->run_started({"r1", "daily", "2026-11-20T06:00:00.000Z", "h", 1});
  st->upsert_properties({prop("a", "assessor", "85031", 100000, 9000), prop("b", "assessor", "85031", 200000, 19000),
                         prop("c", "listings", "85033", 300000, std::nullopt),
                         prop("d", "listings", "85033", std::nullopt, 41000)},
                        "r1", "2026-11-20T06:01:00.000Z");
  store::RunFinish f1;
  f1.run_id = "r1", f1.pipeline = "daily", f1.finished_at = "2026-11-20T06:02:00.000Z", f1.status = "ok";
  f1.node_counts = "{}", f1.summary = summary_json("r1", 6, 0), f1.inserted = 4, f1.duration_ms = 120000;
  st->run_finished(f1);

  st->run_started({"r2", "daily", "2026-11-21T06:00:00.000Z", "h", 1});
  st->upsert_properties({prop("a", "assessor", "85031", 100000, 9000), prop("b", "assessor", "85031", 250000, 19000, "h2"),
                         prop("c", "listings", "85033", 300000, std::nullopt),
                         prop("d", "listings", "85033", std::nullopt, 41000),
                         prop("e", "listings", "85035", 400000, 30000)},
                        "r2", "2026-11-21T06:01:00.000Z");
  st->add_dead_letters({{"r2", "validate", "x", "{}", "price: range: too high", "t"},
                        {"r2", "validate", "y", "{}", "price: range: too high", "t"},
                        {"r2", "normalize", "z", "{}", "address is empty", "t"}});
  store::RunFinish f2 = f1;
  f2.run_id = "r2", f2.finished_at = "2026-11-21T06:02:00.000Z", f2.summary = summary_json("r2", 1, 5);
  f2.inserted = 1, f2.updated = 1, f2.unchanged = 3, f2.dead_letters = 3;
  st->run_finished(f2);
  return url;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("report: median is the real median", "[report]") {
  CHECK(report::median({3, 1, 2}) == 2);
  CHECK(report::median({4, 1, 3, 2}) == 2.5);
  CHECK(report::median({7}) == 7);
}

TEST_CASE("report: totals, statistics, dead letters, LLM use and trends from the store", "[report]") {
  auto dir = temp_dir("collect");
  auto st = store::Store::open(make_store(dir));
  auto rep = report::collect_report(*st);
  CHECK(rep.at("run").as_object().at("run_id").as_string() == "r2");
  const auto& totals = rep.at("totals").as_object();
  CHECK(totals.at("inserted").as_int64() == 1);
  CHECK(totals.at("updated").as_int64() == 1);
  CHECK(totals.at("unchanged").as_int64() == 3);
  const auto& by_source = rep.at("by_source").as_object();
  CHECK(by_source.at("listings").as_object().at("inserted").as_int64() == 1);
  CHECK(by_source.at("listings").as_object().at("unchanged").as_int64() == 2);
  CHECK(by_source.at("assessor").as_object().at("updated").as_int64() == 1);
  CHECK(rep.at("by_zip").as_object().at("85035").as_object().at("inserted").as_int64() == 1);
  // prices seen in r2: 100k, 250k, 300k, 400k -> median 275k
  const auto& price = rep.at("price").as_object();
  CHECK(price.at("count").as_int64() == 4);
  CHECK(price.at("median").as_double() == 275000);
  CHECK(price.at("min").as_double() == 100000);
  CHECK(rep.at("assessed_value").as_object().at("median").as_double() == 24500);
  CHECK(rep.at("price_by_zip").as_object().at("85031").as_object().at("median").as_double() == 175000);
  const auto& dl = rep.at("dead_letters").as_array();
  REQUIRE(dl.size() == 2);
  CHECK(dl[0].as_object().at("node").as_string() == "validate");
  CHECK(dl[0].as_object().at("count").as_int64() == 2);
  CHECK(rep.at("llm").as_object().at("cache_hits").as_double() == 5);
  CHECK(rep.at("rate_limits").as_object().at("assessor").as_object().at("waits").as_int64() == 4);
  CHECK(rep.at("node_errors").as_array().size() == 1);
  const auto& trend = rep.at("trend").as_array();
  REQUIRE(trend.size() == 2);
  CHECK(trend[0].as_object().at("run_id").as_string() == "r1");  // oldest first
  CHECK(trend[0].as_object().at("llm_calls").as_double() == 6);
}

TEST_CASE("report: json, csv and html files; bad format and bad store are errors", "[report]") {
  auto dir = temp_dir("formats");
  auto url = make_store(dir);
  REQUIRE(report::write_report(url, "json", (dir / "out/r.json").string(), "") == 0);
  auto j = json::parse(slurp(dir / "out/r.json")).as_object();
  CHECK(j.at("totals").as_object().at("unchanged").as_int64() == 3);

  REQUIRE(report::write_report(url, "csv", (dir / "r.csv").string(), "") == 0);
  auto csv = slurp(dir / "r.csv");
  CHECK(csv.rfind("section,key,metric,value\n", 0) == 0);
  CHECK_THAT(csv, Catch::Contains("price,,median,275000"));
  CHECK_THAT(csv, Catch::Contains("dead_letters,validate/price: range: too high,count,2"));

  CHECK(report::write_report(url, "pdf", (dir / "r.pdf").string(), "") == 2);
  CHECK(report::write_report("sqlite:" + (dir / "no/such/dir/../..").string(), "json", (dir / "x.json").string(), "") == 1);
}

TEST_CASE("report: HTML is self-contained, embeds the graph and renders in Chromium without errors", "[report][chromium]") {
  auto dir = temp_dir("html");
  auto url = make_store(dir);
  const std::string dot = "digraph daily { assessor -> validate; validate -> store; }";
  const auto html_path = dir / "report.html";
  REQUIRE(report::write_report(url, "html", html_path.string(), dot) == 0);
  auto html = slurp(html_path);
  CHECK_THAT(html, Catch::Contains("<!DOCTYPE html>"));
  CHECK_THAT(html, !Catch::Contains("<script src") && !Catch::Contains("<link"));  // self-contained
  CHECK_THAT(html, Catch::Contains("price: range: too high"));
  if (std::system("command -v dot >/dev/null 2>&1") == 0) {
    CHECK_THAT(html, Catch::Contains("<svg"));
    CHECK_THAT(html, Catch::Contains("assessor"));
    CHECK_THAT(html, !Catch::Contains("<?xml"));
  } else {
    CHECK_THAT(html, Catch::Contains("digraph daily"));
  }

  if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    WARN("chromium not installed: browser check skipped");
    return;
  }
  const auto shot = dir / "shot.png";
  const auto log = dir / "chromium.log";
  const auto profile = dir / "profile";
  std::string cmd = "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                    "--disable-background-networking --disable-component-update --disable-sync "
                    "--enable-logging=stderr --v=0 --user-data-dir=" + profile.string() +
                    " --screenshot=" + shot.string() + " --window-size=1200,900 file://" + html_path.string() +
                    " >" + log.string() + " 2>&1";
  int rc = std::system(cmd.c_str());
  INFO(slurp(log));
  CHECK(rc == 0);
  REQUIRE(fs::exists(shot));
  CHECK(fs::file_size(shot) > 1000);
  auto text = slurp(log);
  CHECK_THAT(text, !Catch::Contains("Uncaught") && !Catch::Contains(":CONSOLE(") &&
                       !Catch::Contains("Failed to load resource"));
}

#include "../store/test_nodes.hpp"
#include "engine/pipeline.hpp"
#include "nodes/report/register.hpp"
#include "nodes/store/register.hpp"

TEST_CASE("report node: writes the report when its inputs are done", "[report][pipeline]") {
  auto dir = temp_dir("node");
  Registry reg;
  register_store_nodes(reg);
  register_report_nodes(reg);
  testnodes::register_test_nodes(reg);
  const std::string yaml = "name: reportnode\nstore: sqlite:" + (dir / "s.db").string() + R"(
nodes:
  gen: {type: test_gen, count: 30}
  store: {type: store, inputs: [gen], batch_size: 8}
  summary: {type: report, inputs: [gen], after: [store], path: )" + (dir / "out/summary.json").string() + R"(}
)";
  auto loaded = load_pipeline_string(yaml, (dir / "p.yaml").string(), reg);
  std::string diags;
  for (const auto& d : loaded.diagnostics.all()) diags += d.str() + "\n";
  INFO(diags);
  REQUIRE(loaded.ok());
  auto s = run_pipeline(loaded.graph, reg);
  CHECK(s.status == "ok");
  auto rep = json::parse(slurp(dir / "out/summary.json")).as_object();
  // `after: [store]`: the store's last batch is in before the report is written
  CHECK(rep.at("totals").as_object().at("inserted").as_int64() == 30);
  CHECK(rep.at("price").as_object().at("count").as_int64() == 30);
  CHECK(rep.at("run").as_object().at("status").as_string() == "running");
}
