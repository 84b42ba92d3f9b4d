// `route`: first match or every match, `unmatched`, routes nobody consumes, DOT edge labels, and
// the route names `check` refuses.
#include <catch2/catch.hpp>

#include "tests/transform/transform_test_support.hpp"

using namespace flowrun;
using namespace flowrun::transform_test;

namespace {

std::string pipeline(const std::string& mode, const std::string& sinks) {
  return "nodes:\n"
         "  src: {type: file, path: " + canonical_fixture() + "}\n"
         "  split:\n"
         "    type: route\n"
         "    inputs: [src]\n"
         "    mode: " + mode + "\n"
         "    routes:\n"
         "      commercial: property_type == \"commercial\"\n"
         "      priced: price ~= nil\n"
         "      homes: property_type == \"single_family\"\n" + sinks;
}

const char* kAllSinks =
    "  commercial: {type: jsonl, inputs: [split.commercial], path: commercial.jsonl}\n"
    "  priced: {type: jsonl, inputs: [split.priced], path: priced.jsonl}\n"
    "  homes: {type: jsonl, inputs: [split.homes], path: homes.jsonl}\n"
    "  rest: {type: jsonl, inputs: [split.unmatched], path: rest.jsonl}\n";

std::size_t lines(const TempDir& dir, const char* file) { return read_jsonl(dir.path / file).size(); }

}  // namespace

TEST_CASE("route sends each record to the first route that matches, the rest to unmatched", "[route]") {
  TempDir dir;
  auto s = run_in(dir, pipeline("first", kAllSinks));
  check_balanced(s);
  const auto& split = node(s, "split");
  CHECK(split.in == 8);
  CHECK(split.out == 8);
  CHECK(split.filtered == 0);
  // commercial: 2; priced (not commercial): 4; homes (not commercial, no price): 1; rest: land.
  CHECK(port_count(split, "commercial") == 2);
  CHECK(port_count(split, "priced") == 4);
  CHECK(port_count(split, "homes") == 1);
  CHECK(port_count(split, "unmatched") == 1);
  CHECK(lines(dir, "commercial.jsonl") == 2);
  CHECK(lines(dir, "priced.jsonl") == 4);
  CHECK(lines(dir, "homes.jsonl") == 1);
  auto rest = read_jsonl(dir.path / "rest.jsonl");
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].at("property_type") == "vacant_land");
}

TEST_CASE("route with mode: all sends a copy to every route that matches", "[route]") {
  TempDir dir;
  auto s = run_in(dir, pipeline("all", kAllSinks));
  check_balanced(s);
  const auto& split = node(s, "split");
  CHECK(split.out == 8);  // each input counted once, however many copies it made
  CHECK(port_count(split, "commercial") == 2);
  CHECK(port_count(split, "priced") == 5);
  CHECK(port_count(split, "homes") == 4);
  CHECK(port_count(split, "unmatched") == 1);
  CHECK(lines(dir, "priced.jsonl") == 5);
  CHECK(lines(dir, "homes.jsonl") == 4);
}

TEST_CASE("records for routes nobody consumes are counted filtered, and check warns", "[route]") {
  TempDir dir;
  const std::string yaml = pipeline("first", "  commercial: {type: jsonl, inputs: [split.commercial], path: c.jsonl}\n");
  auto loaded = load_in(dir, yaml);
  REQUIRE(loaded.ok());
  const auto text = diagnostics_text(loaded);
  CHECK(text.find("output port 'priced' of node 'split' is not consumed") != std::string::npos);
  CHECK(text.find("output port 'homes' of node 'split' is not consumed") != std::string::npos);
  auto s = run_in(dir, yaml);
  check_balanced(s);
  CHECK(node(s, "split").out == 2);
  CHECK(node(s, "split").filtered == 6);
  CHECK(lines(dir, "c.jsonl") == 2);
}

TEST_CASE("flowrun dot labels a route's edges with the route names", "[route][dot]") {
  TempDir dir;
  auto loaded = load_in(dir, pipeline("first", kAllSinks));
  REQUIRE(loaded.ok());
  const std::string dot = to_dot(loaded.graph);
  INFO(dot);
  CHECK(dot.find("\"split\" -> \"commercial\" [label=\"commercial\", style=solid];") != std::string::npos);
  CHECK(dot.find("\"split\" -> \"homes\" [label=\"homes\", style=solid];") != std::string::npos);
  CHECK(dot.find("\"split\" -> \"rest\" [label=\"unmatched\", style=solid];") != std::string::npos);
  // The implicit dead-letter edge stays an error edge.
  CHECK(dot.find("\"split\" -> \"dead_letters\" [label=\"errors\", style=dotted") != std::string::npos);
}

TEST_CASE("route names that cannot be ports are check errors at the name", "[route][check]") {
  TempDir dir;
  auto loaded = load_in(dir, R"(nodes:
  src: {type: file, path: in.jsonl}
  split:
    type: route
    inputs: [src]
    routes:
      unmatched: price > 1
      "has space": price > 2
  out: {type: jsonl, inputs: [split.unmatched], path: o.jsonl}
)");
  CHECK(!loaded.ok());
  const auto text = diagnostics_text(loaded);
  INFO(text);
  CHECK(text.find("p.yaml:7:7: error: node 'split': route name 'unmatched' is a port every route node has already") !=
        std::string::npos);
  CHECK(text.find("p.yaml:8:7: error: node 'split': route name 'has space' may hold only letters") != std::string::npos);
}

TEST_CASE("an input naming a route that does not exist lists the ports that do", "[route][check]") {
  TempDir dir;
  auto loaded = load_in(dir, pipeline("first", "  x: {type: jsonl, inputs: [split.comercial], path: x.jsonl}\n"));
  CHECK(!loaded.ok());
  const auto text = diagnostics_text(loaded);
  INFO(text);
  CHECK(text.find("comercial") != std::string::npos);
  CHECK(text.find("commercial") != std::string::npos);
}

TEST_CASE("a route's records leave only by its named ports: `inputs: [route]` is a check error", "[route][check]") {
  TempDir dir;
  auto loaded = load_in(dir, pipeline("first", "  x: {type: jsonl, inputs: [split], path: x.jsonl}\n"));
  CHECK(!loaded.ok());
  const auto text = diagnostics_text(loaded);
  INFO(text);
  CHECK(text.find("p.yaml:11:29: error: node 'x': 'split' (route) has no 'out' records; they leave only by its named "
                  "ports: split.unmatched, split.commercial, split.priced, split.homes") != std::string::npos);
}
