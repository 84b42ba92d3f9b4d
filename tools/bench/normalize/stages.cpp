// bench_normalize_stages: the CPU each stage of the normalize benchmark costs per record, measured
// on its own, outside the engine: JSON parsing of a line (what the `file` source does), the
// `normalizer` node's body and the `jsonl` sink's body (serialisation and the buffered write).
// Each stage is timed with the thread's CPU clock, so other processes on a loaded machine do not
// count. Records go through in chunks, so memory stays bounded for any N.
//   bench_normalize_stages RAW.jsonl OUT.jsonl MAPPING.yaml...
// prints: records parse_us normalize_us jsonl_us  (CPU microseconds per record)
#include <time.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "engine/context.hpp"
#include "engine/metrics.hpp"
#include "engine/registry.hpp"
#include "nodes/file/register.hpp"
#include "nodes/normalizer/register.hpp"

using namespace flowrun;

namespace {

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// Keeps what a node emits; the sink's held records are only counted.
struct Collect : Emitter {
  std::vector<Record> out;
  std::int64_t errors = 0;
  void emit(std::string_view port, Record r) override {
    if (port == "out") out.push_back(std::move(r));
    else ++errors;
  }
  void filtered() override {}
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_normalize_stages RAW.jsonl OUT.jsonl MAPPING.yaml...\n");
    return 2;
  }
  Registry reg;
  register_normalizer_nodes(reg);
  register_file_nodes(reg);
  YAML::Node nopts, jopts;
  for (int i = 3; i < argc; ++i) nopts["mappings"].push_back(argv[i]);
  jopts["path"] = argv[2];
  auto norm_node = make_node(*reg.find("normalizer"), "normalize", nopts);
  auto sink_node = make_node(*reg.find("jsonl"), "out", jopts);
  auto* norm = dynamic_cast<ProcessNode*>(norm_node.get());
  auto* sink = dynamic_cast<ProcessNode*>(sink_node.get());
  Resources resources;
  RunContext ctx("bench", "bench-1", resources, {});
  norm->open(ctx);
  sink->open(ctx);

  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 2;
  }
  constexpr std::size_t kChunk = 4096;
  std::vector<std::string> lines;
  std::vector<Record> raw;
  Collect canon, written;
  double parse_us = 0, norm_us = 0, sink_us = 0;
  std::int64_t n = 0, errors = 0;
  std::string line;
  bool more = true;
  while (more) {
    lines.clear();
    while (lines.size() < kChunk && (more = static_cast<bool>(std::getline(in, line)))) lines.push_back(line);
    if (lines.empty()) break;
    raw.clear();
    raw.reserve(lines.size());
    double t0 = thread_cpu_us();
    for (const auto& l : lines) raw.emplace_back(json::parse(l).as_object());
    double t1 = thread_cpu_us();
    for (auto& r : raw) norm->process_in_place(r, ctx, canon);
    double t2 = thread_cpu_us();
    for (auto& r : canon.out) sink->process_in_place(r, ctx, written);
    canon.out.clear();  // the written records end here, as they end after the sink in the engine
    double t3 = thread_cpu_us();
    parse_us += t1 - t0, norm_us += t2 - t1, sink_us += t3 - t2;
    n += static_cast<std::int64_t>(lines.size());
    errors += canon.errors + written.errors;
    canon.errors = written.errors = 0;
  }
  const double f0 = thread_cpu_us();
  sink->close(ctx, written);  // flush and sync: part of the sink's cost
  sink_us += thread_cpu_us() - f0;
  RunSummary ok;
  sink->after_run(ctx, ok);
  if (n == 0 || errors != 0) {
    std::fprintf(stderr, "bench_normalize_stages: %lld records, %lld went to errors\n", (long long)n, (long long)errors);
    return 1;
  }
  std::printf("%lld %.3f %.3f %.3f\n", (long long)n, parse_us / n, norm_us / n, sink_us / n);
  return 0;
}
