// bench_engine_chain: a 5-node pass-through chain (source, 3 transforms, sink) in flowrun vs
// the same chain written directly with tbb::flow nodes, on the same in-memory records.
// Alternates the two, best of 3 each, prints records/s and the ratio.
//   bench_engine_chain [records=200000] [concurrency=1|unlimited]
#include <oneapi/tbb/flow_graph.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/bench/engine/bench_nodes.hpp"

using namespace flowrun;
using namespace flowrun::bench;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double run_flowrun(const Graph& g, const Registry& reg, std::int64_t n) {
  sink_count() = 0;
  const auto t0 = std::chrono::steady_clock::now();
  RunSummary s = run_pipeline(g, reg);
  const double dt = seconds_since(t0);
  if (sink_count() != n || s.exit_code != 0) {
    std::fprintf(stderr, "flowrun run lost records: %lld of %lld\n", (long long)sink_count().load(), (long long)n);
    std::exit(1);
  }
  return n / dt;
}

double run_tbb(std::int64_t n, bool unlimited) {
  namespace flow = tbb::flow;
  using Ptr = std::shared_ptr<Record>;
  sink_count() = 0;
  const auto t0 = std::chrono::steady_clock::now();
  flow::graph g;
  std::size_t i = 0;
  const auto& recs = prebuilt();
  flow::input_node<Ptr> src(g, [&](tbb::flow_control& fc) -> Ptr {
    if (i >= recs.size()) {
      fc.stop();
      return nullptr;
    }
    return std::make_shared<Record>(recs[i++]);
  });
  const std::size_t conc = unlimited ? flow::unlimited : flow::serial;
  auto pass = [](Ptr p) { return p; };
  flow::function_node<Ptr, Ptr> a(g, conc, pass), b(g, conc, pass), c(g, conc, pass);
  flow::function_node<Ptr> sink(g, conc, [](const Ptr&) { sink_count().fetch_add(1, std::memory_order_relaxed); });
  flow::make_edge(src, a);
  flow::make_edge(a, b);
  flow::make_edge(b, c);
  flow::make_edge(c, sink);
  src.activate();
  g.wait_for_all();
  const double dt = seconds_since(t0);
  if (sink_count() != n) {
    std::fprintf(stderr, "tbb chain lost records\n");
    std::exit(1);
  }
  return n / dt;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 200000;
  const std::string conc = argc > 2 ? argv[2] : "1";
  for (std::int64_t i = 0; i < n; ++i) prebuilt().push_back(make_record(i));
  Registry reg = make_registry();
  const std::string yaml = "name: chain\nnodes:\n"
                           "  src: {type: mem_source}\n"
                           "  a: {type: pass, inputs: [src], concurrency: " + conc + "}\n"
                           "  b: {type: pass, inputs: [a], concurrency: " + conc + "}\n"
                           "  c: {type: pass, inputs: [b], concurrency: " + conc + "}\n"
                           "  sink: {type: count, inputs: [c], concurrency: " + conc + "}\n";
  auto loaded = load_pipeline_string(yaml, "chain.yaml", reg);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.all()) std::fprintf(stderr, "%s\n", d.str().c_str());
    return 2;
  }
  double best_flowrun = 0, best_tbb = 0;
  for (int rep = 0; rep < 3; ++rep) {
    best_tbb = std::max(best_tbb, run_tbb(n, conc == "unlimited"));
    best_flowrun = std::max(best_flowrun, run_flowrun(loaded.graph, reg, n));
  }
  std::printf("records: %lld, nodes: 5 (source, 3 pass-through, sink), concurrency: %s, best of 3\n", (long long)n, conc.c_str());
  std::printf("raw tbb::flow : %10.0f records/s\n", best_tbb);
  std::printf("flowrun       : %10.0f records/s\n", best_flowrun);
  std::printf("ratio flowrun/tbb: %.2f (tbb is %.1fx faster)\n", best_flowrun / best_tbb, best_tbb / best_flowrun);
  return 0;
}
