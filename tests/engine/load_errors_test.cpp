// `check` errors: every class from issue 2, each with its message and exact file:line:column.
// The YAML below is written so that the column of the offending token is easy to count.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "tests/engine/test_nodes.hpp"

using namespace flowrun;
using namespace flowrun::testing;

namespace {

// The one error the pipeline must produce, as "file:line:col: error: message".
std::string only_error(const std::string& yaml, const LoadOptions& opts = {}) {
  auto r = load(yaml, opts);
  INFO(all_diagnostics(r));
  REQUIRE(r.diagnostics.error_count() == 1);
  for (const auto& d : r.diagnostics.all())
    if (d.severity == Severity::error) return d.str();
  return "";
}

}  // namespace

TEST_CASE("unknown node type names the position and suggests the closest type", "[load]") {
  CHECK(only_error(R"(nodes:
  a: {type: countr}
  s: {type: capture, inputs: [a]}
)") == "t.yaml:2:13: error: node 'a': unknown node type 'countr' (did you mean 'counter'?); `flowrun nodes` lists the types");
}

TEST_CASE("unknown option for a node type, with a suggestion", "[load]") {
  CHECK(only_error(R"(nodes:
  a: {type: counter, cout: 5}
  s: {type: capture, inputs: [a]}
)") == "t.yaml:2:22: error: node 'a': unknown option 'cout' for type 'counter' (did you mean 'count'?)");
}

TEST_CASE("unknown input node", "[load]") {
  CHECK(only_error(R"(nodes:
  parcels: {type: counter}
  out: {type: capture, inputs: [parcel]}
)") == "t.yaml:3:33: error: node 'out': input 'parcel' names no node (did you mean 'parcels'?)");
}

TEST_CASE("unknown output port lists the ports that exist", "[load]") {
  CHECK(only_error(R"(nodes:
  parcels: {type: counter}
  out: {type: capture, inputs: [parcels.rejected]}
)") == "t.yaml:3:33: error: node 'out': 'parcels' (counter) has no output port 'rejected'; its ports are out, errors");
}

TEST_CASE("a declared extra port is accepted and a typo in it is not", "[load]") {
  load_ok(R"(nodes:
  a: {type: counter}
  sp: {type: split, inputs: [a]}
  ok: {type: capture, inputs: [sp]}
  no: {type: capture, inputs: [sp.rejected]}
)");
  CHECK(only_error(R"(nodes:
  a: {type: counter}
  sp: {type: split, inputs: [a]}
  ok: {type: capture, inputs: [sp]}
  no: {type: capture, inputs: [sp.rejectd]}
)") == "t.yaml:5:32: error: node 'no': 'sp' (split) has no output port 'rejectd'; its ports are out, errors, rejected (did you mean 'rejected'?)");
}

TEST_CASE("a data cycle is named in flow order", "[load]") {
  CHECK(only_error(R"(nodes:
  src: {type: counter}
  a: {type: pass, inputs: [src, c]}
  b: {type: pass, inputs: [a]}
  c: {type: pass, inputs: [b]}
  s: {type: capture, inputs: [c]}
)") == "t.yaml:3:3: error: cycle in data edges: a -> b -> c -> a");
}

TEST_CASE("a cycle through after: edges is reported as a control cycle", "[load]") {
  CHECK(only_error(R"(nodes:
  a: {type: counter, after: [b]}
  b: {type: counter, after: [a]}
  s: {type: capture, inputs: [a, b]}
)") == "t.yaml:2:3: error: cycle through after: (control) edges, so no node in it could ever start: a -> b -> a");
}

TEST_CASE("a cycle mixing data and control edges is found too", "[load]") {
  // x waits for y to finish, but y consumes x's records: neither could ever finish.
  auto e = only_error(R"(nodes:
  a: {type: counter}
  x: {type: pass, inputs: [a], after: [y]}
  y: {type: pass, inputs: [x]}
  s: {type: capture, inputs: [y]}
)");
  CHECK(e.find("cycle through after: (control) edges") != std::string::npos);
  CHECK(e.find("x -> y -> x") != std::string::npos);
}

TEST_CASE("duplicate node ids point at the second one", "[load]") {
  CHECK(only_error(R"(nodes:
  a: {type: counter}
  a: {type: counter, count: 3}
  s: {type: capture, inputs: [a]}
)") == "t.yaml:3:3: error: duplicate node id 'a'");
}

TEST_CASE("a non-source node without inputs", "[load]") {
  CHECK(only_error(R"(nodes:
  a: {type: counter}
  t: {type: pass}
  s: {type: capture, inputs: [a]}
)") == "t.yaml:3:3: error: node 't' (pass) is not a source and has no inputs; add `inputs: [...]`");
}

TEST_CASE("a source given inputs", "[load]") {
  CHECK(only_error(R"(nodes:
  a: {type: counter}
  b: {type: counter, inputs: [a]}
  s: {type: capture, inputs: [b]}
)") == "t.yaml:3:31: error: node 'b' is a source (counter) and takes no inputs");
}

TEST_CASE("an undefined resource, with a suggestion from the declared ones", "[load]") {
  CHECK(only_error(R"(resources:
  rate_limits: {assessor: {count: 10, per: 1s}}
nodes:
  a: {type: counter, limit: asessor}
  s: {type: capture, inputs: [a]}
)") == "t.yaml:4:29: error: node 'a': option 'limit' names undefined resource 'asessor' (not in resources.rate_limits) (did you mean 'assessor'?)");
  // and the declared one is fine
  load_ok(R"(resources:
  rate_limits: {assessor: {count: 10, per: 1s}}
nodes:
  a: {type: counter, limit: assessor}
  s: {type: capture, inputs: [a]}
)");
}

TEST_CASE("a missing ${env.X} is an error, not an empty string", "[load][subst]") {
  ::unsetenv("FLOWRUN_TEST_UNSET_VAR");
  CHECK(only_error(R"(nodes:
  a: {type: counter, key: "${env.FLOWRUN_TEST_UNSET_VAR}"}
  s: {type: capture, inputs: [a]}
)") == "t.yaml:2:27: error: environment variable FLOWRUN_TEST_UNSET_VAR is not set (referenced as ${env.FLOWRUN_TEST_UNSET_VAR})");
}

TEST_CASE("a set ${env.X} is substituted and remembered as a secret", "[load][subst]") {
  ::setenv("FLOWRUN_TEST_KEY", "s3cr3t-value", 1);
  auto g = load_ok(R"(nodes:
  a: {type: counter, key: "${env.FLOWRUN_TEST_KEY}"}
  s: {type: capture, inputs: [a]}
)");
  CHECK(g.find("a")->config.get_string("key") == "s3cr3t-value");
  CHECK(std::find(g.secrets.begin(), g.secrets.end(), "s3cr3t-value") != g.secrets.end());
  // DOT never shows a secret
  CHECK(to_dot(g).find("s3cr3t-value") == std::string::npos);
  ::unsetenv("FLOWRUN_TEST_KEY");
}

TEST_CASE("${env.X:-fallback}: unset or empty X takes the fallback, only a value from the environment is secret", "[load][subst]") {
  ::unsetenv("FLOWRUN_TEST_FB");
  auto unset = load_ok(R"(nodes:
  a: {type: counter, label: "${env.FLOWRUN_TEST_FB:-sqlite:out/x.db}"}
  s: {type: capture, inputs: [a]}
)");
  CHECK(unset.find("a")->config.get_string("label") == "sqlite:out/x.db");
  CHECK(unset.secrets.empty());
  ::setenv("FLOWRUN_TEST_FB", "", 1);  // how CI systems pass a secret nobody set
  auto empty = load_ok(R"(nodes:
  a: {type: counter, label: "${env.FLOWRUN_TEST_FB:-sqlite:out/x.db}"}
  s: {type: capture, inputs: [a]}
)");
  CHECK(empty.find("a")->config.get_string("label") == "sqlite:out/x.db");
  ::setenv("FLOWRUN_TEST_FB", "postgresql://u:pw@db/x", 1);
  auto set = load_ok(R"(nodes:
  a: {type: counter, label: "${env.FLOWRUN_TEST_FB:-sqlite:out/x.db}"}
  s: {type: capture, inputs: [a]}
)");
  CHECK(set.find("a")->config.get_string("label") == "postgresql://u:pw@db/x");
  CHECK(set.secrets == std::vector<std::string>{"postgresql://u:pw@db/x"});
  ::unsetenv("FLOWRUN_TEST_FB");
}

TEST_CASE("a missing ${vars.x} is an error", "[load][subst]") {
  CHECK(only_error(R"(vars: {zips: ["85031"]}
nodes:
  a: {type: counter, label: "${vars.zip}"}
  s: {type: capture, inputs: [a]}
)") == "t.yaml:3:29: error: undefined variable 'zip' (referenced as ${vars.zip}); define it under vars: or pass --var");
}

TEST_CASE("a wrong value type: concurrency: many", "[load]") {
  CHECK(only_error(R"(nodes:
  a: {type: counter}
  s: {type: capture, inputs: [a], concurrency: many}
)") == "t.yaml:3:48: error: node 's': concurrency must be a positive integer (at most 4096), 'unlimited', 'adaptive' or {adaptive: true|NAME, min, max, initial}, got 'many'");
}

TEST_CASE("a wrong value type for a typed option", "[load]") {
  CHECK(only_error(R"(nodes:
  a: {type: counter, count: lots}
  s: {type: capture, inputs: [a]}
)") == "t.yaml:2:29: error: node 'a': option 'count' must be an integer, got 'lots'");
}

TEST_CASE("invalid YAML syntax gives the parser's position", "[load]") {
  auto r = load("nodes:\n  a: {type: counter\n  s: [unclosed\n");
  REQUIRE(r.diagnostics.error_count() == 1);
  const auto& d = r.diagnostics.all().front();
  CHECK(d.message.rfind("invalid YAML: ", 0) == 0);
  CHECK(d.where.file == "t.yaml");
  CHECK(d.where.line >= 2);  // inside the flow map that never closes, not at the top of the file
  CHECK(d.where.column >= 1);
}

TEST_CASE("one check reports every problem, not just the first", "[load]") {
  auto r = load(R"(nodes:
  a: {type: countr}
  b: {type: counter, cout: 1}
  s: {type: capture, inputs: [a, b], concurrency: many}
)");
  INFO(all_diagnostics(r));
  CHECK(r.diagnostics.error_count() == 3);
  auto text = all_diagnostics(r);
  CHECK(text.find("t.yaml:2:13:") != std::string::npos);
  CHECK(text.find("t.yaml:3:22:") != std::string::npos);
  CHECK(text.find("t.yaml:4:51:") != std::string::npos);
}

TEST_CASE("an output nobody consumes is a warning, and an error with --strict", "[load][strict]") {
  const std::string yaml = R"(nodes:
  a: {type: counter}
  b: {type: counter}
  s: {type: capture, inputs: [a]}
)";
  auto lax = load(yaml);
  REQUIRE(lax.ok());
  REQUIRE(lax.diagnostics.all().size() == 1);
  CHECK(lax.diagnostics.all()[0].str() ==
        "t.yaml:3:3: warning: output of node 'b' is not consumed by any node; its records are counted and discarded");

  LoadOptions strict;
  strict.strict = true;
  CHECK(only_error(yaml, strict) == "t.yaml:3:3: error: output of node 'b' is not consumed by any node (--strict)");
}

TEST_CASE("unknown top-level key", "[load]") {
  CHECK(only_error(R"(nodez: {}
nodes:
  a: {type: counter}
  s: {type: capture, inputs: [a]}
)") == "t.yaml:1:1: error: unknown top-level key 'nodez' (did you mean 'nodes'?)");
}

TEST_CASE("the bad fixture files each fail with a located error", "[load][files]") {
  // The same files the CLI tests feed to `flowrun check`; here against the test registry.
  const std::string dir = FLOWRUN_SOURCE_DIR "/tests/pipelines/bad/";
  for (const char* f : {"unknown_type.yaml", "cycle.yaml", "concurrency_many.yaml", "syntax.yaml"}) {
    auto r = load_pipeline_file(dir + f, test_registry());
    INFO(f << "\n" << all_diagnostics(r));
    REQUIRE(r.diagnostics.has_errors());
    for (const auto& d : r.diagnostics.all()) {
      CHECK(d.where.file == dir + f);
      CHECK(d.where.line > 0);
      CHECK(d.where.column > 0);
    }
  }
}
