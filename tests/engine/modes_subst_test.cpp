// mode: sugar (sequential / parallel / mixed), explicit values winning, and --set / --var / ${vars}.
#include <catch2/catch.hpp>

#include "tests/engine/test_nodes.hpp"

using namespace flowrun;
using namespace flowrun::testing;

namespace {

// Two `counter` sources and one `ticker` (a different source type), a pass (default concurrency
// 4) and a sink: enough to tell the three modes apart.
std::string pipeline(const std::string& mode, const std::string& extra_b = "", const std::string& extra_t = "") {
  return (mode.empty() ? "" : "mode: " + mode + "\n") + R"(nodes:
  a: {type: counter}
  b: {type: counter)" + extra_b + R"(}
  c: {type: ticker}
  t: {type: pass, inputs: [a, b, c])" + extra_t + R"(}
  s: {type: capture, inputs: [t]}
)";
}

std::vector<std::string> after_of(const Graph& g, const std::string& id) {
  std::vector<std::string> out;
  for (const auto& a : g.find(id)->after) out.push_back(a.node);
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("parallel (and no mode) adds no after: edges and keeps type defaults", "[modes]") {
  for (std::string mode : {"", "parallel"}) {
    auto g = load_ok(pipeline(mode));
    CHECK(after_of(g, "a").empty());
    CHECK(after_of(g, "b").empty());
    CHECK(after_of(g, "c").empty());
    CHECK(g.find("t")->concurrency == 4);
  }
}

TEST_CASE("sequential chains every source in file order and makes every node serial", "[modes]") {
  auto g = load_ok(pipeline("sequential"));
  CHECK(after_of(g, "a").empty());
  CHECK(after_of(g, "b") == V{"a"});
  CHECK(after_of(g, "c") == V{"b"});
  CHECK(g.find("b")->after_from_mode);
  for (const auto& n : g.nodes) CHECK(n.concurrency == 1);
}

TEST_CASE("mixed chains sources of the same type only", "[modes]") {
  auto g = load_ok(pipeline("mixed"));
  CHECK(after_of(g, "b") == V{"a"});
  CHECK(after_of(g, "c").empty());  // a ticker runs beside the counters
  CHECK(g.find("t")->concurrency == 4);
}

TEST_CASE("the three modes give three different DOT topologies", "[modes][dot]") {
  auto par = to_dot(load_ok(pipeline("parallel")));
  auto seq = to_dot(load_ok(pipeline("sequential")));
  auto mix = to_dot(load_ok(pipeline("mixed")));
  CHECK(par != seq);
  CHECK(par != mix);
  CHECK(seq != mix);
  CHECK(par.find("after (mode)") == std::string::npos);
  CHECK(seq.find("\"a\" -> \"b\" [style=dashed") != std::string::npos);
  CHECK(seq.find("\"b\" -> \"c\" [style=dashed") != std::string::npos);
  CHECK(mix.find("\"a\" -> \"b\" [style=dashed") != std::string::npos);
  CHECK(mix.find("\"b\" -> \"c\" [style=dashed") == std::string::npos);
  CHECK(seq.find("concurrency: 1") != std::string::npos);
  CHECK(par.find("t\\npass\\nconcurrency: 4") != std::string::npos);
  CHECK(seq.find("t\\npass\\nconcurrency: 1") != std::string::npos);
}

TEST_CASE("explicit after: and concurrency: win over the mode", "[modes]") {
  auto g = load_ok(R"(mode: sequential
nodes:
  a: {type: counter}
  b: {type: counter}
  c: {type: ticker, after: [a]}
  t: {type: pass, inputs: [a, b, c], concurrency: 3}
  s: {type: capture, inputs: [t]}
)");
  CHECK(after_of(g, "b") == V{"a"});
  CHECK(after_of(g, "c") == V{"a"});  // not b: the file said a
  CHECK_FALSE(g.find("c")->after_from_mode);
  CHECK(g.find("t")->concurrency == 3);
  CHECK(g.find("s")->concurrency == 1);
}

// Regression: sequential mode once chained each source to the previous one in file order
// even when that creates a cycle with an explicit after: (b waits for c, so c must not be made to
// wait for b). The user wrote no cycle, yet check reports "b -> c -> b".
TEST_CASE("mode sugar never turns an explicit after: into a cycle", "[modes]") {
  auto r = load(pipeline("sequential", ", after: [c]"));
  INFO(all_diagnostics(r));
  CHECK(r.ok());
  if (r.ok()) CHECK(after_of(r.graph, "b") == V{"c"});
}

TEST_CASE("an unknown mode is an error at its position", "[modes]") {
  auto r = load(pipeline("paralel"));
  REQUIRE(r.diagnostics.error_count() == 1);
  CHECK(r.diagnostics.all()[0].str() == "t.yaml:1:7: error: 'mode' must be one of sequential, parallel, mixed, adaptive, got 'paralel' (did you mean 'parallel'?)");
}

TEST_CASE("${vars.x} holding a list becomes a list option, inside text it joins with commas", "[subst]") {
  auto g = load_ok(R"(vars: {zips: ["85031", "85033", "85035"], city: Phoenix}
nodes:
  a: {type: counter, tags: "${vars.zips}", label: "zips in ${vars.city}: ${vars.zips}"}
  s: {type: capture, inputs: [a]}
)");
  CHECK(g.find("a")->config.get_list("tags") == V{"85031", "85033", "85035"});
  CHECK(g.find("a")->config.get_string("label") == "zips in Phoenix: 85031,85033,85035");
}

TEST_CASE("LoadOptions.vars (--var) overrides vars, commas make a list", "[subst]") {
  const std::string yaml = R"(vars: {zips: ["85031"]}
nodes:
  a: {type: counter, tags: "${vars.zips}"}
  s: {type: capture, inputs: [a]}
)";
  LoadOptions o;
  o.vars["zips"] = "85001,85002";
  CHECK(load_ok(yaml, o).find("a")->config.get_list("tags") == V{"85001", "85002"});
  o.vars["zips"] = "85009";
  CHECK(load_ok(yaml, o).find("a")->config.get_list("tags") == V{"85009"});
  // --var also defines variables the file does not have
  LoadOptions fresh;
  fresh.vars["where"] = "Mesa";
  CHECK(load_ok(R"(nodes:
  a: {type: counter, label: "${vars.where}"}
  s: {type: capture, inputs: [a]}
)", fresh).find("a")->config.get_string("label") == "Mesa");
}

TEST_CASE("LoadOptions.sets (--set) overrides any YAML value, including common options", "[subst]") {
  LoadOptions o;
  o.sets = {"nodes.t.concurrency=7", "nodes.a.count=42", "mode=sequential"};
  auto g = load_ok(pipeline("parallel"), o);
  CHECK(g.find("t")->concurrency == 7);  // explicit (from --set) wins over sequential's 1
  CHECK(g.find("a")->config.get_int("count") == 42);
  CHECK(after_of(g, "b") == V{"a"});
  CHECK(g.find("s")->concurrency == 1);
}

TEST_CASE("LoadOptions.sets (--set) values are type-checked like the file's", "[subst]") {
  LoadOptions o;
  o.sets = {"nodes.t.concurrency=many"};
  auto r = load(pipeline(""), o);
  INFO(all_diagnostics(r));
  REQUIRE(r.diagnostics.error_count() == 1);
  CHECK(r.diagnostics.all()[0].message.find("concurrency must be a positive integer") != std::string::npos);
  LoadOptions bad;
  bad.sets = {"no_equals_sign"};
  auto r2 = load(pipeline(""), bad);
  REQUIRE(r2.diagnostics.error_count() == 1);
  CHECK(r2.diagnostics.all()[0].str() == "<command line>: error: --set expects path.to.key=value, got 'no_equals_sign'");
}

TEST_CASE("buffer: at the top sets every node's edge capacity, per node overrides", "[load]") {
  auto g = load_ok(R"(buffer: 64
nodes:
  a: {type: counter}
  s: {type: capture, inputs: [a], buffer: 8}
  s2: {type: capture, inputs: [a]}
)");
  CHECK(g.find("s")->buffer == 8);
  CHECK(g.find("s2")->buffer == 64);
  CHECK(load_ok(pipeline("")).find("s")->buffer == 1024);  // the documented default
}
