// Listing sources inside real pipeline runs (engine loader + runner), against the fixture site.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "engine/json_text.hpp"
#include "engine/node_type.hpp"
#include "engine/pipeline.hpp"
#include "listing_site.hpp"
#include "nodes/listings/register.hpp"
#include "test_support.hpp"
#include "tests/shared/run_checks.hpp"

using namespace listings_test;
using flowrun::fixtures::BlockMode;
using flowrun::fixtures::ListingSiteServer;

namespace {

// A test sink that keeps what reaches it, per node id.
std::mutex g_mu;
std::map<std::string, std::vector<flowrun::Record>> g_seen;

struct CollectSink : flowrun::ProcessNode {
  explicit CollectSink(std::string id) : id(std::move(id)) {}
  void process(flowrun::Record in, flowrun::RunContext&, flowrun::Emitter&) override {
    std::lock_guard lock(g_mu);
    g_seen[id].push_back(std::move(in));
  }
  std::string id;
};

flowrun::Registry make_registry() {
  flowrun::Registry reg;
  flowrun::register_listings_nodes(reg);
  struct NoOptions {};
  flowrun::NodeType<NoOptions> t("collect", flowrun::Role::sink, "test sink");
  t.create([](const NoOptions&, const flowrun::NodeInfo& n) { return std::make_unique<CollectSink>(n.id); });
  reg.add(t.descriptor());
  return reg;
}

flowrun::RunSummary run_yaml(const std::string& yaml) {
  {
    std::lock_guard lock(g_mu);
    g_seen.clear();
  }
  auto reg = make_registry();
  auto loaded = flowrun::load_pipeline_string(yaml, "listings_test.yaml", reg);
  for (const auto& d : loaded.diagnostics.all()) UNSCOPED_INFO(d.str());
  REQUIRE(loaded.ok());
  return flowrun::testing::run_checked(loaded.graph, reg);
}

const flowrun::NodeSummary* node(const flowrun::RunSummary& s, const std::string& id) {
  for (const auto& n : s.nodes)
    if (n.id == id) return &n;
  return nullptr;
}

}  // namespace

TEST_CASE("pipeline: html_listings and csv_listings feed a sink, bad CSV rows reach the error sink", "[pipeline][e2e]") {
  ListingSiteServer server;
  server.start();
  std::string yaml = "name: listings_e2e\nnodes:\n"
                     "  site: {type: html_listings, site: '" + source_dir() + "/pipelines/sites/example_realty.yaml', "
                     "zips: ['85031'], base_url: '" + server.base_url() + "', delay: 0s}\n"
                     "  csv: {type: csv_listings, path: '" + fixture_path("redfin_quirks.csv") + "'}\n"
                     "  sink: {type: collect, inputs: [site, csv]}\n"
                     "  bad: {type: collect, inputs: [csv.errors, site.errors]}\n";
  auto s = run_yaml(yaml);
  CHECK(s.exit_code == 0);
  std::lock_guard lock(g_mu);
  CHECK(g_seen["sink"].size() == 10 + 7);
  CHECK(g_seen["bad"].size() == 2);
  REQUIRE(node(s, "site"));
  CHECK(node(s, "site")->stopped_reason.empty());
  CHECK(server.requests("/private/") == 0);
}

TEST_CASE("pipeline: a blocked site with fail_on_block reports its reason in the summary", "[pipeline][e2e][block]") {
  ListingSiteServer server;
  server.start();
  server.set_block_mode(BlockMode::captcha);
  std::string yaml = "name: blocked\nnodes:\n"
                     "  site: {type: html_listings, site: '" + source_dir() + "/pipelines/sites/example_realty.yaml', "
                     "zips: ['85031'], base_url: '" + server.base_url() + "', delay: 0s, block_backoff: 10ms, "
                     "block_threshold: 2, fail_on_block: true}\n"
                     "  sink: {type: collect, inputs: [site]}\n";
  auto s = run_yaml(yaml);
  REQUIRE(node(s, "site"));
  CHECK_THAT(node(s, "site")->stopped_reason, Catch::Contains("captcha"));
  CHECK(s.exit_code == 1);
  CHECK(server.requests("/search") == 2);
}

TEST_CASE("pipeline: a rendered site that blocks us fails the run with fail_on_block, else warns", "[pipeline][e2e][block][chromium]") {
  if (access("/usr/bin/chromium", X_OK) != 0) {
    WARN("SKIPPED: /usr/bin/chromium is not installed; render: chromium cannot be tested");
    return;
  }
  ListingSiteServer server;
  server.start();
  server.set_block_mode(BlockMode::cloudflare);
  auto yaml = [&](const char* fail_on_block) {
    return "name: blocked\nnodes:\n"
           "  site: {type: html_listings, site: '" + source_dir() + "/pipelines/sites/example_realty.yaml', "
           "zips: ['85031'], base_url: '" + server.base_url() + "', render: chromium, delay: 0s, block_backoff: 10ms, "
           "block_threshold: 2, fail_on_block: " + fail_on_block + "}\n"
           "  sink: {type: collect, inputs: [site]}\n";
  };
  SECTION("fail_on_block: the failure names the block, in the table and in the JSON the ledger keeps") {
    auto s = run_yaml(yaml("true"));
    CHECK(s.exit_code == 1);
    CHECK_THAT(s.failure, Catch::Contains("source 'site' stopped") && Catch::Contains("blocked us") &&
                              Catch::Contains("challenge") && Catch::Contains("HTTP 403"));
    CHECK(s.counters["site.rendered_pages"] == 2);
    CHECK(s.counters["site.blocked"] == 2);
    std::string table = s.to_table();
    CHECK_THAT(table, Catch::Contains("failed: source 'site' stopped: site 'example_realty' blocked us"));
    CHECK_THAT(table, Catch::Contains("site.rendered_pages = 2"));
    CHECK_THAT(table.substr(table.rfind('\n', table.size() - 2)), Catch::Contains("failed"));
    CHECK_THAT(flowrun::to_json_text(s.to_json().at("failure")), Catch::Contains("blocked us"));
  }
  SECTION("without it: the run ends ok, and says so in a warning") {
    auto s = run_yaml(yaml("false"));
    CHECK(s.exit_code == 0);
    CHECK_THAT(s.to_table(), Catch::Contains("warning: site: site 'example_realty' blocked us"));
    CHECK_THAT(flowrun::to_json_text(s.to_json().at("warnings")), Catch::Contains("blocked us"));
  }
}
