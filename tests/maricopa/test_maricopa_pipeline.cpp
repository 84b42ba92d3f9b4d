// maricopa_api inside a real pipeline: YAML, ${env.X} secrets, a shared rate limit, the engine's
// runner, the summary, and --record/--replay through the run settings.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>

#include <unistd.h>

#include "engine/node_type.hpp"
#include "engine/pipeline.hpp"
#include "nodes/maricopa/register.hpp"
#include "tools/fixtures/assessor/assessor_server.hpp"
#include "tests/shared/run_checks.hpp"

using namespace flowrun;
using namespace flowrun::fixtures;
namespace fs = std::filesystem;

namespace {

std::mutex g_mu;
std::vector<Record> g_captured;

class CaptureSink : public ProcessNode {
 public:
  void process(Record in, RunContext&, Emitter&) override {
    std::lock_guard lock(g_mu);
    g_captured.push_back(std::move(in));
  }
};

const Registry& registry() {
  static Registry r = [] {
    Registry reg;
    register_maricopa_nodes(reg);
    struct NoOptions {};
    NodeType<NoOptions> t("capture", Role::sink, "test sink");
    t.create([](const NoOptions&, const NodeInfo&) { return std::make_unique<CaptureSink>(); });
    reg.add(t.descriptor());
    return reg;
  }();
  return r;
}

std::vector<Record> take() {
  std::lock_guard lock(g_mu);
  return std::exchange(g_captured, {});
}

std::string pipeline(const std::string& base_url, const std::string& extra = "") {
  return R"(
name: assessor-test
resources:
  rate_limits: {assessor: {count: 1000, per: 1h}}
nodes:
  assessor:
    type: maricopa_api
    base_url: ")" + base_url + R"("
    api_key: ${env.FLOWRUN_TEST_MARICOPA_KEY}
    queries: ["85031"]
    details: [valuations]
    rate_limit: assessor
    retry_base_delay: 1ms
)" + extra + R"(
  sink:
    type: capture
    inputs: [assessor]
)";
}

Graph load_ok(const std::string& yaml) {
  auto r = load_pipeline_string(yaml, "t.yaml", registry());
  std::string diags;
  for (const auto& d : r.diagnostics.all()) diags += d.str() + "\n";
  INFO(diags);
  REQUIRE(r.ok());
  return std::move(r.graph);
}

const NodeSummary& node(const RunSummary& s, const std::string& id) {
  for (const auto& n : s.nodes)
    if (n.id == id) return n;
  FAIL("no node " << id);
  throw 0;
}

}  // namespace

TEST_CASE("pipeline: the assessor source feeds a sink, under a shared rate limit") {
  setenv("FLOWRUN_TEST_MARICOPA_KEY", "fixture-key", 1);
  AssessorServer s(AssessorOptions{.parcels_per_zip = 30});
  s.start();
  take();
  auto g = load_ok(pipeline(s.base_url()));
  auto summary = flowrun::testing::run_checked(g, registry());
  auto recs = take();
  CHECK(recs.size() == 30);
  CHECK(node(summary, "assessor").stopped_reason == "");
  CHECK(node(summary, "sink").in == 30);
  CHECK(summary.counters["http.requests"] == 2 + 30);
  CHECK(s.requests() == 2 + 30);
  // The key is a secret: it never shows in the DOT or the summary.
  CHECK(to_dot(g, &summary).find("fixture-key") == std::string::npos);
  CHECK(boost::json::serialize(summary.to_json()).find("fixture-key") == std::string::npos);
}

TEST_CASE("pipeline: a bad key stops the source with the MARICOPA_API_KEY message in the summary") {
  setenv("FLOWRUN_TEST_MARICOPA_KEY", "wrong-key-77", 1);
  AssessorServer s;
  s.start();
  take();
  auto g = load_ok(pipeline(s.base_url()));
  auto summary = flowrun::testing::run_checked(g, registry());
  CHECK(take().empty());
  const auto& a = node(summary, "assessor");
  CHECK_THAT(a.stopped_reason, Catch::Contains("MARICOPA_API_KEY"));
  CHECK_THAT(a.stopped_reason, !Catch::Contains("wrong-key-77"));
  CHECK(s.requests() == 1);
  CHECK(summary.exit_code != 0);
}

TEST_CASE("pipeline: --record then --replay gives the same records with no server") {
  setenv("FLOWRUN_TEST_MARICOPA_KEY", "fixture-key", 1);
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() / ("flowrun-cassette-" + std::to_string(rd()));
  std::string base;
  std::vector<Record> live;
  {
    AssessorServer s(AssessorOptions{.parcels_per_zip = 12});
    s.start();
    base = s.base_url();
    take();
    RunOptions ro;
    ro.settings["http.record"] = dir.string();
    flowrun::testing::run_checked(load_ok(pipeline(base)), registry(), ro);
    live = take();
  }
  REQUIRE(live.size() == 12);
  RunOptions ro;
  ro.settings["http.replay"] = dir.string();
  auto summary = flowrun::testing::run_checked(load_ok(pipeline(base)), registry(), ro);
  auto replayed = take();
  REQUIRE(replayed.size() == 12);
  auto by_apn = [](std::vector<Record> v) {
    std::sort(v.begin(), v.end(), [](const Record& a, const Record& b) { return a.env.source_id < b.env.source_id; });
    return v;
  };
  live = by_apn(live);
  replayed = by_apn(replayed);
  for (std::size_t i = 0; i < live.size(); ++i) CHECK(replayed[i].data == live[i].data);
  CHECK(summary.counters["http.replayed"] == 1 + 12);  // one search page (12 < 25) + 12 details
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("check --env: the assessor probe says ok, names a rejected key, and a dead server") {
  AssessorServer s;  // expects "fixture-key"
  s.start();
  const auto* d = registry().find("maricopa_api");
  REQUIRE(d->check_env);
  auto probe = [&](const std::string& base, const std::string& key) {
    setenv("FLOWRUN_TEST_MARICOPA_KEY", key.c_str(), 1);
    auto g = load_ok(pipeline(base));  // the node names rate_limit: the probe must not need it
    const auto* n = g.find("assessor");
    return d->check_env(n->options, n->info, {});
  };
  CHECK(probe(s.base_url(), "fixture-key") == "");
  const std::string bad = probe(s.base_url(), "wrong-key-77");
  CHECK_THAT(bad, Catch::Contains("MARICOPA_API_KEY"));
  CHECK_THAT(bad, !Catch::Contains("wrong-key-77"));
  const int requests = s.requests();
  CHECK(requests == 2);  // one request per probe: no retries against a server that said no
  s.stop();
  CHECK_THAT(probe(s.base_url(), "fixture-key"), Catch::Contains("no answer from the assessor"));
}

TEST_CASE("checkpoints: the same run id asks nothing twice, refresh_after skips young details, ETags revalidate") {
  setenv("FLOWRUN_TEST_MARICOPA_KEY", "fixture-key", 1);
  AssessorServer s(AssessorOptions{.parcels_per_zip = 30, .etags = true});
  s.start();
  const fs::path dir = fs::temp_directory_path() / ("flowrun-checkpoints-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto run = [&](const std::string& run_id, const std::string& extra) {
    take();
    RunOptions ro;
    ro.run_id = run_id;
    ro.settings["store"] = "sqlite:" + (dir / "s.db").string();
    auto summary = flowrun::testing::run_checked(load_ok(pipeline(s.base_url(), extra)), registry(), ro);
    CHECK(node(summary, "assessor").stopped_reason == "");
    CHECK(take().size() == 30);  // every parcel is emitted, whether asked or served from the checkpoints
    return summary;
  };
  run("r1", "");
  CHECK(s.requests() == 2 + 30);  // 2 search pages, 30 details
  // The same run id again (a crash, then a rerun): everything is served from the checkpoints.
  auto again = run("r1", "");
  CHECK(s.requests() == 2 + 30);
  CHECK(again.counters["assessor.from_checkpoint"] == 32);
  // A new run: the search again, but details younger than refresh_after are not fetched again.
  run("r2", "    refresh_after: 7d\n");
  CHECK(s.requests("/search/") == 4);
  CHECK(s.requests("/parcel/") == 30);
  // Without refresh_after the details are asked again, with If-None-Match: 304 each time.
  auto revalidated = run("r3", "");
  CHECK(s.requests("/parcel/") == 60);
  CHECK(s.not_modified() == 30);
  CHECK(revalidated.counters["assessor.not_modified"] == 30);
  fs::remove_all(dir);
}
