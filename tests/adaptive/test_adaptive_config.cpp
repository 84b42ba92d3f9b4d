// `concurrency: adaptive` and `mode: adaptive` in pipeline files: what they load to, every bad
// value reported at file:line:column, and where a run shows the limit (summary table and JSON,
// Prometheus, the run-annotated DOT).
#include <catch2/catch.hpp>

#include <algorithm>

#include "tools/fixtures/llm/load_run.hpp"
#include "tests/shared/run_checks.hpp"

using namespace flowrun;
using namespace flowrun::fixtures;
using namespace std::chrono_literals;

namespace {

LoadCounters g_counters;
const Registry& registry() {
  static Registry r = load_registry(g_counters);
  return r;
}

LoadResult load(const std::string& yaml) { return load_pipeline_string(yaml, "p.yaml", registry()); }

std::string errors(const LoadResult& r) {
  std::string all;
  for (const auto& d : r.diagnostics.all()) all += d.str() + "\n";
  return all;
}

const GraphNode& node(const Graph& g, const std::string& id) {
  const GraphNode* n = g.find(id);
  REQUIRE(n);
  return *n;
}

// An enricher (I/O) between a source and a sink (CPU), with the enricher's concurrency given.
std::string pipeline(const std::string& concurrency, const std::string& head = "") {
  return head + "nodes:\n  src: {type: load_source}\n  enrich:\n    type: llm_enricher\n    inputs: [src]\n"
                "    concurrency: " + concurrency + "\n  sink: {type: load_sink, inputs: [enrich]}\n";
}

}  // namespace

TEST_CASE("concurrency: adaptive gives an I/O node a limit of its own", "[adaptive][config]") {
  auto r = load(pipeline("adaptive"));
  INFO(errors(r));
  REQUIRE(r.ok());
  const auto& n = node(r.graph, "enrich");
  REQUIRE(n.adaptive);
  CHECK(n.adaptive->shared.empty());
  CHECK(n.adaptive->bounds.min == 1);
  CHECK(n.adaptive->bounds.max == 64);
  CHECK(n.adaptive->bounds.initial == 2);  // the enricher's default concurrency
  CHECK(n.concurrency == 64);              // its I/O threads; the limit decides how many work
}

TEST_CASE("concurrency as a map sets min, max and the starting value", "[adaptive][config]") {
  auto r = load(pipeline("{adaptive: true, min: 2, max: 12, initial: 4}"));
  INFO(errors(r));
  REQUIRE(r.ok());
  const auto& b = node(r.graph, "enrich").adaptive->bounds;
  CHECK(b.min == 2);
  CHECK(b.max == 12);
  CHECK(b.initial == 4);
  // Without initial, the type's default within the bounds; without max, 64 (or min, if above).
  auto r2 = load(pipeline("{adaptive: true, min: 100}"));
  REQUIRE(r2.ok());
  CHECK(node(r2.graph, "enrich").adaptive->bounds.max == 100);
  CHECK(node(r2.graph, "enrich").adaptive->bounds.initial == 100);
}

TEST_CASE("a shared limit takes its bounds from resources.concurrency", "[adaptive][config]") {
  auto r = load(pipeline("{adaptive: llm_box}", "resources:\n  concurrency:\n    llm_box: {min: 2, max: 8}\n"));
  INFO(errors(r));
  REQUIRE(r.ok());
  const auto& n = node(r.graph, "enrich");
  CHECK(n.adaptive->shared == "llm_box");
  CHECK(n.adaptive->bounds.min == 2);
  CHECK(n.adaptive->bounds.max == 8);
  CHECK(n.adaptive->bounds.initial == 2);
  CHECK(n.concurrency == 8);
}

// "p.yaml:LINE:COL:" of what follows the first `marker` in `yaml` (the value being blamed).
std::string after(const std::string& yaml, const std::string& marker) {
  const auto at = yaml.find(marker);
  REQUIRE(at != std::string::npos);
  const auto pos = at + marker.size();
  const auto line = std::count(yaml.begin(), yaml.begin() + static_cast<long>(pos), '\n') + 1;
  const auto line_start = yaml.rfind('\n', pos - 1);
  const auto col = pos - (line_start == std::string::npos ? 0 : line_start + 1) + 1;
  return "p.yaml:" + std::to_string(line) + ":" + std::to_string(col) + ":";
}

TEST_CASE("bad adaptive settings are reported where they are written", "[adaptive][config]") {
  struct Case {
    std::string yaml, blamed_after, says;
  };
  const std::string res = "resources:\n  concurrency:\n    llm_box: {min: 2, max: 8}\n";
  const std::vector<Case> cases = {
      {pipeline("{adaptive: true, min: 0}"), "min: ", "min must be an integer from 1 to 4096, got '0'"},
      {pipeline("{adaptive: true, min: 8, max: 4}"), "max: ", "max (4) is below min (8)"},
      {pipeline("{adaptive: true, max: 8, initial: 9}"), "initial: ", "initial (9) must be from min (1) to max (8)"},
      {pipeline("{adaptive: true, max: 5000}"), "max: ", "max must be an integer from 1 to 4096"},
      {pipeline("{adaptive: true, maxx: 8}"), "true, ", "unknown key 'maxx' (did you mean 'max'?)"},
      {pipeline("{min: 2, max: 8}"), "concurrency: ", "needs `adaptive: true`"},
      {pipeline("{adaptive: false}"), "adaptive: ", "adaptive: false is not a limit"},
      {pipeline("{adaptive: llm_bx}", res), "{adaptive: ",
       "adaptive names undefined resource 'llm_bx' (not in resources.concurrency) (did you mean 'llm_box'?)"},
      {pipeline("{adaptive: llm_box, max: 4}", res), "llm_box, max: ", "max belongs to resources.concurrency.llm_box"},
      {pipeline("adaptve"), "concurrency: ", "concurrency must be a positive integer (at most 4096), 'unlimited', 'adaptive'"},
      {pipeline("4", "resources:\n  concurrency:\n    box: {min: 3, max: 2}\n"), "max: ",
       "resources.concurrency.box: max (2) is below min (3)"},
      {pipeline("4", "resources:\n  concurrency:\n    box: {mn: 3}\n"), "box: {",
       "resources.concurrency.box: unknown key 'mn' (did you mean 'min'?)"},
      {pipeline("4", "resources:\n  concurrency:\n    box: 5\n"), "box: ", "resources.concurrency.box must be a map"},
      {"nodes:\n  src: {type: load_source}\n  sink: {type: load_sink, inputs: [src], concurrency: adaptive}\n",
       "concurrency: ", "concurrency: adaptive is for node types that run on I/O threads"},
  };
  for (const auto& c : cases) {
    auto r = load(c.yaml);
    const std::string all = errors(r);
    INFO(c.yaml << "\n---\n" << all);
    CHECK_FALSE(r.ok());
    CHECK(all.find(after(c.yaml, c.blamed_after) + " error: ") != std::string::npos);
    CHECK(all.find(c.says) != std::string::npos);
  }
}

TEST_CASE("mode: adaptive makes adaptive the default for I/O nodes only", "[adaptive][config]") {
  auto r = load("mode: adaptive\nnodes:\n  src: {type: load_source}\n"
                "  a: {type: llm_enricher, inputs: [src]}\n"
                "  b: {type: llm_enricher, inputs: [src], concurrency: 3}\n"
                "  sink: {type: load_sink, inputs: [a, b]}\n");
  INFO(errors(r));
  REQUIRE(r.ok());
  CHECK(node(r.graph, "a").adaptive);
  CHECK_FALSE(node(r.graph, "b").adaptive);  // its own concurrency: wins
  CHECK(node(r.graph, "b").concurrency == 3);
  CHECK_FALSE(node(r.graph, "sink").adaptive);  // a CPU node keeps its number
  CHECK(node(r.graph, "sink").concurrency == 1);
  CHECK(r.graph.nodes.front().after.empty());  // no `after:` sugar: it is parallel otherwise
  auto bad = load("mode: adaptiv\nnodes:\n  src: {type: load_source}\n  sink: {type: load_sink, inputs: [src]}\n");
  CHECK(errors(bad).find("'mode' must be one of sequential, parallel, mixed, adaptive, got 'adaptiv'") != std::string::npos);
}

TEST_CASE("a run shows the adaptive limit in the summary, the metrics and the DOT", "[adaptive][config]") {
  FakeLlmServer fake;
  fake.start();
  fake.set_latency(5ms);
  fake.set_slots(4);
  auto r = load("name: shown\nnodes:\n  src: {type: load_source, count: 300}\n"
                "  enrich: {type: llm_enricher, inputs: [src], concurrency: {adaptive: true, max: 16}, cache: false, "
                "base_url: \"" + fake.url() + "\"}\n  sink: {type: load_sink, inputs: [enrich, enrich.errors]}\n");
  REQUIRE(r.ok());
  const std::string before = to_dot(r.graph);
  CHECK(before.find("concurrency: adaptive 1..16") != std::string::npos);

  auto s = flowrun::testing::run_checked(r.graph, registry());
  REQUIRE(s.exit_code == 0);
  const NodeSummary* e = nullptr;
  for (const auto& n : s.nodes)
    if (n.id == "enrich") e = &n;
  REQUIRE(e);
  REQUIRE(e->adaptive);
  const auto& a = *e->adaptive;
  CHECK(a.name == "enrich");
  CHECK(a.min == 1);
  CHECK(a.max == 16);
  CHECK(a.limit >= 1);
  CHECK(a.limit <= 16);
  CHECK(a.samples == 300);
  CHECK(a.peak_in_flight >= 4);  // it found the 4 slots
  CHECK(a.peak_in_flight <= 16);

  const auto json = s.to_json();
  const auto& node_json = json.at("nodes").as_array()[1].as_object();
  REQUIRE(node_json.contains("adaptive"));
  CHECK(node_json.at("adaptive").as_object().at("limit").as_int64() == a.limit);

  CHECK(s.to_table().find("adaptive concurrency: limit " + std::to_string(a.limit) + " (1..16)") != std::string::npos);

  const std::string prom = to_prometheus(s);
  CHECK(prom.find("flowrun_node_concurrency_limit{pipeline=\"shown\",node=\"enrich\",type=\"llm_enricher\",role=\"transform\"} " +
                  std::to_string(a.limit) + "\n") != std::string::npos);
  CHECK(prom.find("flowrun_node_concurrency_limit{pipeline=\"shown\",node=\"sink\",type=\"load_sink\",role=\"sink\"} 1\n") !=
        std::string::npos);

  const std::string after = to_dot(r.graph, &s);
  CHECK(after.find("limit " + std::to_string(a.limit) + ", peak " + std::to_string(a.peak_in_flight)) !=
        std::string::npos);
}
