// `filter`: what passes, what is counted filtered, the `dropped` port, and records the condition
// fails on going to `errors` with the reason.
#include <catch2/catch.hpp>

#include "tests/transform/transform_test_support.hpp"

using namespace flowrun;
using namespace flowrun::transform_test;

namespace {

std::string pipeline(const std::string& when, const std::string& extra_nodes = "") {
  return "nodes:\n"
         "  src: {type: file, path: " + canonical_fixture() + "}\n"
         "  keep:\n    type: filter\n    inputs: [src]\n    when: '" + when + "'\n"
         "  kept: {type: jsonl, inputs: [keep], path: kept.jsonl}\n"
         "  dead: {type: dead_letter, inputs: [keep.errors], path: dead.jsonl}\n" + extra_nodes;
}

std::vector<std::string> ids(const std::vector<json::object>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.emplace_back(r.at("id").as_string());
  return out;
}

}  // namespace

TEST_CASE("filter passes matching records and counts the rest as filtered", "[filter]") {
  TempDir dir;
  auto s = run_in(dir, pipeline(R"(property_type == "single_family" and price ~= nil and price < 600000)"));
  check_balanced(s);
  CHECK(s.exit_code == 0);
  CHECK(node(s, "keep").in == 8);
  CHECK(node(s, "keep").out == 2);
  CHECK(node(s, "keep").filtered == 6);
  CHECK(node(s, "keep").errors == 0);
  CHECK(ids(read_jsonl(dir.path / "kept.jsonl")) == std::vector<std::string>{"mls:armls:6700000", "mls:armls:6700004"});
}

TEST_CASE("filter reads nested fields, null as nil, and the whole record as `record`", "[filter]") {
  TempDir dir;
  auto s = run_in(dir, pipeline(R"(address.zip == "85033" and address.unit == nil and record.year_built ~= nil)"));
  check_balanced(s);
  // 85033: the commercial parcel has unit "1", the vacant land has no year built.
  CHECK(ids(read_jsonl(dir.path / "kept.jsonl")) == std::vector<std::string>{"mls:armls:6700004"});
}

TEST_CASE("filter sends the rest to `dropped` when a node consumes it", "[filter]") {
  TempDir dir;
  auto s = run_in(dir, pipeline(R"(price ~= nil)", "  others: {type: jsonl, inputs: [keep.dropped], path: others.jsonl}\n"));
  check_balanced(s);
  CHECK(node(s, "keep").filtered == 0);
  CHECK(node(s, "keep").out == 8);  // every record left on a port
  CHECK(port_count(node(s, "keep"), "dropped") == 3);
  CHECK(read_jsonl(dir.path / "kept.jsonl").size() == 5);
  CHECK(ids(read_jsonl(dir.path / "others.jsonl")) ==
        std::vector<std::string>{"apn:10306005", "apn:10219009F", "apn:10420117"});
}

TEST_CASE("a record the condition fails on goes to errors with the reason and its trace id", "[filter]") {
  TempDir dir;
  // price is null on the assessor records: comparing nil with a number is a Lua error.
  auto s = run_in(dir, pipeline(R"(price < 600000)"));
  check_balanced(s);
  CHECK(node(s, "keep").errors == 3);
  CHECK(node(s, "keep").out == 3);
  CHECK(node(s, "keep").filtered == 2);
  auto dead = read_jsonl(dir.path / "dead.jsonl");
  REQUIRE(dead.size() == 3);
  const std::string reason(dead[0].at("reason").as_string());
  INFO(reason);
  CHECK(reason.find("when (") != std::string::npos);
  CHECK(reason.find("p.yaml:6:") != std::string::npos);  // where the expression is
  CHECK(reason.find("attempt to compare") != std::string::npos);
  CHECK(reason.find("null or missing in this record: price") != std::string::npos);
  CHECK(dead[0].at("rule") == "expression");
  CHECK(dead[0].at("field") == "when");
  CHECK(!dead[0].at("trace_id").as_string().empty());
  CHECK(dead[0].at("record").at("id") == "apn:10306005");
}

TEST_CASE("a condition that is not true or false is an error on the record, not a guess", "[filter]") {
  TempDir dir;
  auto s = run_in(dir, pipeline("beds"));
  check_balanced(s);
  CHECK(node(s, "keep").errors == 4);  // the records with beds: a number is not a condition
  CHECK(node(s, "keep").filtered == 4);  // null beds reads as nil, which is false
  auto dead = read_jsonl(dir.path / "dead.jsonl");
  REQUIRE(!dead.empty());
  CHECK(std::string(dead[0].at("reason").as_string()).find("must be true or false, got a number (5)") != std::string::npos);
}
