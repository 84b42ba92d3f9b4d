// bench_engine_chain: a 5-node pass-through chain (source, 3 transforms, sink) in flowrun vs
// the same chain written directly with tbb::flow nodes, on the same in-memory records.
// Alternates the two, best of `rounds` each, prints records/s (wall) and records per CPU-second
// (user + system of the whole process, which on a loaded machine says more than the wall clock)
// and flowrun's ratio to tbb for both.
//   bench_engine_chain [records=200000] [concurrency=1|unlimited] [rounds=3] [flowrun|tbb]
// (the last: run that side only, e.g. under perf record; the ratios then mean nothing)
#include <oneapi/tbb/flow_graph.h>
#include <sys/resource.h>

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

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Rate {
  double wall = 0, cpu = 0;  // records per second, records per CPU-second
};

// Runs `f` and measures it; keeps the best of each figure in `best`.
template <class F>
void measure(Rate& best, std::int64_t n, F&& f) {
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const double wall = seconds_since(t0), cpu = cpu_seconds() - c0;
  best.wall = std::max(best.wall, n / wall);
  best.cpu = std::max(best.cpu, n / std::max(cpu, 1e-6));
}

void run_flowrun(const Graph& g, const Registry& reg, std::int64_t n) {
  sink_count() = 0;
  RunSummary s = run_pipeline(g, reg);
  if (sink_count() != n || s.exit_code != 0) {
    std::fprintf(stderr, "flowrun run lost records: %lld of %lld\n", (long long)sink_count().load(), (long long)n);
    std::exit(1);
  }
  for (const auto& node : s.nodes)
    if (!node.balanced) {
      std::fprintf(stderr, "flowrun node %s does not balance\n", node.id.c_str());
      std::exit(1);
    }
}

void run_tbb(std::int64_t n, bool unlimited) {
  namespace flow = tbb::flow;
  using Ptr = std::shared_ptr<Record>;
  sink_count() = 0;
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
  if (sink_count() != n) {
    std::fprintf(stderr, "tbb chain lost records\n");
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 200000;
  const std::string conc = argc > 2 ? argv[2] : "1";
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  const std::string only = argc > 4 ? argv[4] : "";  // "flowrun" or "tbb": one side, for perf record
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
  Rate tbb, fr;
  for (int rep = 0; rep < rounds; ++rep) {
    if (only != "flowrun") measure(tbb, n, [&] { run_tbb(n, conc == "unlimited"); });
    if (only != "tbb") measure(fr, n, [&] { run_flowrun(loaded.graph, reg, n); });
  }
  std::printf("chain of 5 nodes (source, 3 pass-through, sink), %lld records, concurrency %s, best of %d\n",
              (long long)n, conc.c_str(), rounds);
  std::printf("  raw tbb::flow: %9.0f records/s %9.0f records/CPU-s\n", tbb.wall, tbb.cpu);
  std::printf("  flowrun      : %9.0f records/s %9.0f records/CPU-s\n", fr.wall, fr.cpu);
  std::printf("  flowrun/tbb  : %9.2f (wall)    %9.2f (CPU)\n", fr.wall / tbb.wall, fr.cpu / tbb.cpu);
  return 0;
}
