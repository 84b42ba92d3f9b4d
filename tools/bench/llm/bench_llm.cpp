// flowrun-bench-llm [--latency-ms L] [--records-per-slot K] [C ...]
// Runs source -> llm_enricher(concurrency C) -> sink against the fake server answering after L
// ms, and prints achieved records/s divided by the ideal C/L (1.00 = the pipeline adds nothing).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/node_type.hpp"
#include "engine/pipeline.hpp"
#include "nodes/llm/register.hpp"
#include "tools/fixtures/llm/fake_llm_server.hpp"

using namespace flowrun;

namespace {
class Source : public SourceNode {
 public:
  explicit Source(int n) : n_(n) {}
  void run(RunContext&, Emitter& out) override {
    for (int i = 0; i < n_; ++i) {
      Record r(json::object{{"id", i}, {"address", json::object{{"street", std::to_string(1000 + i) + " N Main St"}, {"city", "Phoenix"}}},
                            {"beds", 3}, {"baths", 2}, {"sqft", 1500 + i}, {"price", 300000 + i}});
      out.emit(std::move(r));
    }
  }
  int n_;
};
class Sink : public ProcessNode {
 public:
  void process(Record, RunContext&, Emitter&) override {}
};
}  // namespace

int main(int argc, char** argv) {
  int latency_ms = 100, per_slot = 20;
  std::vector<int> cs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--latency-ms" && i + 1 < argc) latency_ms = std::atoi(argv[++i]);
    else if (a == "--records-per-slot" && i + 1 < argc) per_slot = std::atoi(argv[++i]);
    else cs.push_back(std::atoi(a.c_str()));
  }
  if (cs.empty()) cs = {1, 4, 16};

  Registry reg;
  register_llm_nodes(reg);
  struct SourceOptions {
    int count = 10;
  };
  NodeType<SourceOptions> src("bench_source", Role::source, "");
  src.option("count", &SourceOptions::count, "records to emit");
  src.create([](const SourceOptions& o, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<Source>(o.count); });
  reg.add(src.descriptor());
  struct NoOptions {};
  NodeType<NoOptions> sink("bench_sink", Role::sink, "");
  sink.create([](const NoOptions&, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<Sink>(); });
  reg.add(sink.descriptor());

  fixtures::FakeLlmServer fake;
  fake.start();
  fake.set_latency(std::chrono::milliseconds(latency_ms));
  std::printf("latency_ms,concurrency,records,seconds,records_per_s,ideal_per_s,efficiency,max_in_flight\n");
  for (int c : cs) {
    fake.reset_counters();
    const int n = c * per_slot;
    std::string yaml = "name: bench\nnodes:\n  src: {type: bench_source, count: " + std::to_string(n) +
                       "}\n  enrich: {type: llm_enricher, inputs: [src], concurrency: " + std::to_string(c) +
                       ", cache: false, base_url: " + fake.url() + "}\n  sink: {type: bench_sink, inputs: [enrich]}\n";
    auto loaded = load_pipeline_string(yaml, "bench.yaml", reg);
    if (!loaded.ok()) {
      for (auto& d : loaded.diagnostics.all()) std::fprintf(stderr, "%s\n", d.str().c_str());
      return 2;
    }
    auto t0 = std::chrono::steady_clock::now();
    run_pipeline(loaded.graph, reg);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double rate = n / s, ideal = c * 1000.0 / latency_ms;
    std::printf("%d,%d,%d,%.3f,%.1f,%.1f,%.3f,%d\n", latency_ms, c, n, s, rate, ideal, rate / ideal, fake.max_in_flight());
    std::fflush(stdout);
  }
  return 0;
}
