// bench_engine_memory: peak RSS with a deliberately slow sink, for 100k and 1M records, each in
// its own process (ru_maxrss is a per-process high-water mark). Bounded edges should keep the
// two about equal; the same pipeline with a huge buffer shows what an unbounded queue costs.
//   bench_engine_memory                      runs every case as a child and prints a table
//   bench_engine_memory RECORDS BUFFER SPIN_NS   one case in this process
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/bench/engine/bench_nodes.hpp"

using namespace flowrun;
using namespace flowrun::bench;

namespace {

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int one_case(std::int64_t n, long buffer, long spin_ns) {
  Registry reg = make_registry();
  const std::string yaml = "name: memory\nbuffer: " + std::to_string(buffer) + "\nnodes:\n"
                           "  src: {type: mem_source, generate: true, count: " + std::to_string(n) + "}\n"
                           "  a: {type: pass, inputs: [src]}\n"
                           "  sink: {type: count, spin_ns: " + std::to_string(spin_ns) + ", inputs: [a]}\n";
  auto loaded = load_pipeline_string(yaml, "memory.yaml", reg);
  if (!loaded.ok()) return 2;
  const long before = peak_rss_kb();
  const auto t0 = std::chrono::steady_clock::now();
  RunSummary s = run_pipeline(loaded.graph, reg);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::int64_t max_q = 0;
  for (const auto& node : s.nodes) max_q = std::max(max_q, node.max_queued);
  std::printf("%9lld %9ld %8ld %10.1f %10.1f %9lld %8.1f\n", (long long)n, buffer, spin_ns, before / 1024.0,
              peak_rss_kb() / 1024.0, (long long)max_q, secs);
  return sink_count() == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4) return one_case(std::atoll(argv[1]), std::atol(argv[2]), std::atol(argv[3]));
  std::printf("%9s %9s %8s %10s %10s %9s %8s\n", "records", "buffer", "spin_ns", "rss0 MiB", "peak MiB", "max queue", "seconds");
  std::fflush(stdout);
  struct Case { long n, buffer, spin; };
  for (const Case& c : {Case{100000, 1024, 2000}, Case{1000000, 1024, 2000}, Case{1000000, 10000000, 2000}}) {
    pid_t pid = fork();
    if (pid == 0) {
      std::string a = std::to_string(c.n), b = std::to_string(c.buffer), s = std::to_string(c.spin);
      execl("/proc/self/exe", argv[0], a.c_str(), b.c_str(), s.c_str(), (char*)nullptr);
      _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) std::printf("case failed (status %d)\n", st);
    std::fflush(stdout);
  }
  return 0;
}
