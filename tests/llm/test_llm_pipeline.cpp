// The enricher inside a real pipeline run (engine scheduler, I/O threads, store setting).
#include <catch2/catch.hpp>

#include "tests/shared/run_checks.hpp"
#include "engine/pipeline.hpp"
#include "nodes/store/store.hpp"
#include "engine/node_type.hpp"
#include "harness.hpp"
#include "tools/fixtures/llm/fake_llm_server.hpp"

using namespace flowrun;
using namespace flowrun::testing;
using flowrun::fixtures::FakeLlmServer;

namespace {

// A source of N property records and a sink that keeps what reaches it: test-local node types,
// so this test depends on the engine and the LLM nodes only.
std::mutex g_mu;
std::vector<Record> g_sunk;

class TestSource : public SourceNode {
 public:
  explicit TestSource(int n) : n_(n) {}
  void run(RunContext&, Emitter& out) override {
    for (int i = 0; i < n_; ++i) out.emit(property(i));
  }
  int n_;
};

class TestSink : public ProcessNode {
 public:
  void process(Record in, RunContext&, Emitter&) override {
    std::lock_guard lock(g_mu);
    g_sunk.push_back(std::move(in));
  }
};

Registry make_registry() {
  Registry reg;
  register_llm_nodes(reg);
  store::register_store_schemes(reg);  // the pipelines name a sqlite: store for the LLM cache
  struct SourceOptions {
    int count = 10;
  };
  NodeType<SourceOptions> src("test_properties", Role::source, "property records");
  src.option("count", &SourceOptions::count, "records").at_least(0);
  src.create([](const SourceOptions& o, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<TestSource>(o.count); });
  reg.add(src.descriptor());
  struct NoOptions {};
  NodeType<NoOptions> sink("test_sink", Role::sink, "collects records");
  sink.create([](const NoOptions&, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<TestSink>(); });
  reg.add(sink.descriptor());
  return reg;
}

RunSummary run_yaml(const std::string& yaml, const RunOptions& ro = {}) {
  static Registry reg = make_registry();
  {
    std::lock_guard lock(g_mu);
    g_sunk.clear();
  }
  auto loaded = load_pipeline_string(yaml, "llm-test.yaml", reg);
  for (auto& d : loaded.diagnostics.all()) UNSCOPED_INFO(d.str());
  REQUIRE(loaded.ok());
  auto s = flowrun::testing::run_checked(loaded.graph, reg, ro);
  return s;
}

}  // namespace

TEST_CASE("pipeline: concurrency C keeps C requests in flight at the server", "[pipeline]") {
  FakeLlmServer fake;
  fake.start();
  fake.set_latency(std::chrono::milliseconds(150));
  for (int c : {1, 4}) {
    fake.reset_counters();
    auto summary = run_yaml("name: llm\nnodes:\n"
                            "  src: {type: test_properties, count: 12}\n"
                            "  enrich: {type: llm_enricher, inputs: [src], concurrency: " + std::to_string(c) +
                            ", base_url: " + fake.url() + ", cache: false}\n"
                            "  sink: {type: test_sink, inputs: [enrich]}\n");
    CHECK(fake.calls("/api/chat") == 12);
    CHECK(fake.max_in_flight() == c);
    std::lock_guard lock(g_mu);
    CHECK(g_sunk.size() == 12);
    CHECK(summary.counters["llm.calls"] == 12);
  }
}

TEST_CASE("pipeline: second run over the same SQLite store makes zero LLM calls", "[pipeline]") {
  TempDir tmp;
  FakeLlmServer fake;
  fake.start();
  const std::string yaml = "name: llm\nstore: sqlite:" + tmp.str() + "/x.db\nnodes:\n"
                           "  src: {type: test_properties, count: 6}\n"
                           "  enrich: {type: llm_enricher, inputs: [src], concurrency: 2, base_url: " + fake.url() + "}\n"
                           "  sink: {type: test_sink, inputs: [enrich]}\n";
  auto first = run_yaml(yaml);
  CHECK(fake.calls("/api/chat") == 6);
  CHECK(first.counters["llm.cache_misses"] == 6);
  fake.reset_counters();
  auto second = run_yaml(yaml);
  CHECK(fake.calls("/api/chat") == 0);
  CHECK(second.counters["llm.cache_hits"] == 6);
  std::lock_guard lock(g_mu);
  CHECK(g_sunk.size() == 6);
}

TEST_CASE("check --env: the LLM probe says ok, names a missing model, and a dead server", "[probe]") {
  FakeLlmServer fake;
  fake.start();
  auto probe = [&](const std::string& type, const std::string& options) {
    const NodeDescriptor* d = llm_registry().find(type);
    REQUIRE(d->check_env);
    // rate_limit names a resource the probe does not build: it must be ignored, not an error.
    const YAML::Node resources = YAML::Load("{rate_limits: {llm: {count: 1, per: 1s}}}");
    NodeInfo info{"enrich", type, "", Location{}};
    Diagnostics diags;
    BindContext ctx{info, resources, diags, "t.yaml"};
    BoundOptions bound = d->schema->bind(YAML::Load(options), ctx);
    REQUIRE_FALSE(diags.has_errors());
    return d->check_env(bound, info, {});
  };
  CHECK(probe("llm_enricher", "{base_url: " + fake.url() + ", rate_limit: llm}") == "");
  CHECK(probe("embedder", "{base_url: " + fake.url() + "}") == "");
  CHECK_THAT(probe("llm_enricher", "{base_url: " + fake.url() + ", model: 'mistral:7b'}"),
             Catch::Contains("model \"mistral:7b\" is not available"));
  const std::string url = fake.url();
  fake.stop();
  CHECK_THAT(probe("llm_enricher", "{base_url: " + url + "}"), Catch::Contains("no Ollama server at " + url));
}

namespace {

const NodeSummary& summary_of(const RunSummary& s, const std::string& id) {
  for (const auto& n : s.nodes)
    if (n.id == id) return n;
  throw std::logic_error("no node " + id);
}

}  // namespace

TEST_CASE("pipeline: the embedder holds records for their batch and every one is accounted for", "[pipeline][accounting]") {
  FakeLlmServer fake;
  fake.start();
  // 10 records in batches of 4: two full batches from process(), the last 2 from close().
  auto ok = run_yaml("name: embed\nnodes:\n"
                     "  src: {type: test_properties, count: 10}\n"
                     "  embed: {type: embedder, inputs: [src], batch_size: 4, cache: false, base_url: " + fake.url() + "}\n"
                     "  sink: {type: test_sink, inputs: [embed, embed.errors]}\n");
  CHECK(fake.calls("/api/embed") == 3);
  const auto& e = summary_of(ok, "embed");
  CHECK(e.in == 10);
  CHECK(e.out == 10);
  CHECK(e.errors + e.filtered + e.unwritten == 0);
  CHECK(e.balanced);
  CHECK(ok.exit_code == 0);
  {
    std::lock_guard lock(g_mu);
    REQUIRE(g_sunk.size() == 10);
    for (const auto& r : g_sunk) CHECK(r.data.contains("embedding"));
  }

  // The server gone and dead_letter: each batch's records leave on errors, still balanced.
  const std::string url = fake.url();
  fake.stop();
  auto down = run_yaml("name: embed\nnodes:\n"
                       "  src: {type: test_properties, count: 10}\n"
                       "  embed: {type: embedder, inputs: [src], batch_size: 4, cache: false, retries: 0, "
                       "on_unavailable: dead_letter, base_url: " + url + "}\n"
                       "  sink: {type: test_sink, inputs: [embed, embed.errors]}\n");
  const auto& d = summary_of(down, "embed");
  CHECK(d.in == 10);
  CHECK(d.errors == 10);
  CHECK(d.out + d.filtered + d.unwritten == 0);
  CHECK(d.balanced);
  std::lock_guard lock(g_mu);
  REQUIRE(g_sunk.size() == 10);
  CHECK(g_sunk[0].meta.at("error").at("rule") == "embed_unavailable");
}

TEST_CASE("pipeline: the enricher balances, errors included", "[pipeline][accounting]") {
  FakeLlmServer fake;
  fake.start();
  fake.set_failure(FakeLlmServer::Failure::out_of_schema);
  auto s = run_yaml("name: llm\nnodes:\n"
                    "  src: {type: test_properties, count: 5}\n"
                    "  enrich: {type: llm_enricher, inputs: [src], cache: false, base_url: " + fake.url() + "}\n"
                    "  sink: {type: test_sink, inputs: [enrich, enrich.errors]}\n");
  const auto& e = summary_of(s, "enrich");
  CHECK(e.in == 5);
  CHECK(e.errors == 5);  // every reply broke the schema twice
  CHECK(e.balanced);
}
