// DOT output: labels, styles, ports, legend; after a run, counts on edges and errors on nodes;
// and that Graphviz itself parses both.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/engine/test_nodes.hpp"

using namespace flowrun;
using namespace flowrun::testing;

namespace {

const char* kPipeline = R"(name: dotty
nodes:
  src: {type: counter, count: 30}
  late: {type: ticker, count: 5, after: [src]}
  t1: {type: throw_if, every: 10, concurrency: 3, inputs: [src, late]}
  sp: {type: split, inputs: [t1]}
  even: {type: capture, inputs: [sp]}
  odd: {type: capture, inputs: [sp.rejected]}
  errs: {type: capture, inputs: [t1.errors]}
)";

// Runs `dot -Tsvg` on the text; returns its exit status (-1 when Graphviz is not installed).
int graphviz_status(const std::string& text) {
  if (::access("/usr/bin/dot", X_OK) != 0) return -1;
  char path[] = "/tmp/flowrun-dot-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  std::string cmd = std::string("/usr/bin/dot -Tsvg ") + path + " -o /dev/null 2>/dev/null";
  int rc = std::system(cmd.c_str());
  ::unlink(path);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("DOT: nodes labelled id/type/concurrency and styled by role", "[dot]") {
  auto dot = to_dot(load_ok(kPipeline));
  CHECK(dot.rfind("digraph \"dotty\" {", 0) == 0);
  CHECK(has(dot, "\"src\" [label=\"src\\ncounter\\nconcurrency: 1\", shape=invhouse"));
  CHECK(has(dot, "\"t1\" [label=\"t1\\nthrow_if\\nconcurrency: 3\", shape=box"));
  CHECK(has(dot, "\"even\" [label=\"even\\ncapture\\nconcurrency: 1\", shape=cylinder"));
}

TEST_CASE("DOT: data edges solid, port edges labelled, after edges dashed, legend present", "[dot]") {
  auto dot = to_dot(load_ok(kPipeline));
  CHECK(has(dot, "\"src\" -> \"t1\" [style=solid];"));
  CHECK(has(dot, "\"sp\" -> \"odd\" [label=\"rejected\", style=solid"));
  CHECK(has(dot, "\"t1\" -> \"errs\" [label=\"errors\", style=solid"));
  CHECK(has(dot, "\"src\" -> \"late\" [style=dashed"));
  CHECK(has(dot, "label=\"after\""));
  CHECK(has(dot, "subgraph cluster_legend"));
  CHECK(has(dot, "legend_source"));
  CHECK(has(dot, "legend_sink"));
  CHECK(has(dot, "after (control)"));
  // the unconsumed error ports of the other nodes go to the implicit dead-letter node, dotted
  CHECK(has(dot, "\"dead_letters\" [label=\"dead_letters\\ndead_letter"));
  CHECK(has(dot, "\"sp\" -> \"dead_letters\" [label=\"errors\", style=dotted"));
}

TEST_CASE("DOT after a run: counts on every data edge and errors on nodes", "[dot][run]") {
  struct Cwd {
    std::filesystem::path old = std::filesystem::current_path();
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("flowrun-dot-run-" + std::to_string(::getpid()));
    Cwd() { std::filesystem::create_directories(dir), std::filesystem::current_path(dir); }
    ~Cwd() { std::filesystem::current_path(old), std::filesystem::remove_all(dir); }
  } cwd;
  reset_observations();
  auto g = load_ok(kPipeline);
  auto s = run_checked(g, test_registry());
  auto dot = to_dot(g, &s);
  // 35 records in (src 1..30, late 1..5): 3 fail (10, 20, 30); of the 32 left, 14 even, 18 odd
  CHECK(has(dot, "\"src\" -> \"t1\" [label=\"30\""));
  CHECK(has(dot, "\"late\" -> \"t1\" [label=\"5\""));
  CHECK(has(dot, "\"t1\" -> \"sp\" [label=\"32\""));
  CHECK(has(dot, "\"sp\" -> \"even\" [label=\"14\""));
  CHECK(has(dot, "\"sp\" -> \"odd\" [label=\"rejected: 18\""));
  CHECK(has(dot, "\"t1\" -> \"errs\" [label=\"errors: 3\""));
  CHECK(has(dot, "in 35 / out 32\\nerrors: 3"));
  CHECK(has(dot, "run " + s.run_id + ": ok"));
  if (::access("/usr/bin/dot", X_OK) == 0) CHECK(graphviz_status(dot) == 0);
}

TEST_CASE("Graphviz parses the DOT of every mode", "[dot]") {
  if (::access("/usr/bin/dot", X_OK) != 0) return;  // Graphviz not installed: nothing to parse with
  for (std::string mode : {"parallel", "sequential", "mixed"}) {
    auto dot = to_dot(load_ok("mode: " + mode + "\n" + kPipeline));
    INFO(mode);
    CHECK(graphviz_status(dot) == 0);
  }
  // and a broken one does not parse (the check can fail)
  CHECK(graphviz_status("digraph { a -> }") != 0);
}
