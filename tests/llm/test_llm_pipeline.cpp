// The enricher inside a real pipeline run (engine scheduler, I/O threads, store setting).
#include <catch2/catch.hpp>

#include "engine/pipeline.hpp"
#include "nodes/store/store.hpp"
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
  NodeDescriptor src;
  src.type = "test_properties";
  src.role = Role::source;
  src.options = {{"count", OptionType::integer, "10", "records"}};
  src.factory = [](const NodeConfig& c) -> std::unique_ptr<Node> { return std::make_unique<TestSource>(static_cast<int>(c.get_int("count", 10))); };
  reg.add(src);
  NodeDescriptor sink;
  sink.type = "test_sink";
  sink.role = Role::sink;
  sink.factory = [](const NodeConfig&) -> std::unique_ptr<Node> { return std::make_unique<TestSink>(); };
  reg.add(sink);
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
  return run_pipeline(loaded.graph, reg, ro);
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
    REQUIRE(d->probe);
    YAML::Node opts = YAML::Load(options);
    for (const auto& spec : d->options)
      if (!spec.default_value.empty() && !opts[spec.name]) opts[spec.name] = YAML::Load(spec.default_value);
    // rate_limit names a resource the probe does not have: it must be ignored, not an error.
    return d->probe(NodeConfig("enrich", type, opts, "", Location{}), {});
  };
  CHECK(probe("llm_enricher", "{base_url: " + fake.url() + ", rate_limit: llm}") == "");
  CHECK(probe("embedder", "{base_url: " + fake.url() + "}") == "");
  CHECK_THAT(probe("llm_enricher", "{base_url: " + fake.url() + ", model: 'mistral:7b'}"),
             Catch::Contains("model \"mistral:7b\" is not available"));
  const std::string url = fake.url();
  fake.stop();
  CHECK_THAT(probe("llm_enricher", "{base_url: " + url + "}"), Catch::Contains("no Ollama server at " + url));
}
