// filter -> route -> map -> two sinks over records of the daily pipeline's shape, with every
// count reconciled; and the pipeline's `flowrun test` file, which asserts filter and route outcomes.
#include <catch2/catch.hpp>

#include <fstream>

#include "engine/config_tests.hpp"
#include "tests/transform/transform_test_support.hpp"

using namespace flowrun;
using namespace flowrun::transform_test;

namespace {

const std::string kData = std::string(FLOWRUN_SOURCE_DIR) + "/tests/transform/data/";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("filter -> route -> map -> two sinks: every record accounted for", "[pipeline]") {
  TempDir dir;
  // The shipped example, run from a copy beside its input so that its outputs land in the temp folder.
  dir.write("canonical.jsonl", read_file(kData + "canonical.jsonl"));
  auto s = run_in(dir, read_file(kData + "triage.yaml"));
  check_balanced(s);
  CHECK(s.exit_code == 0);
  CHECK(s.source_records == 8);

  // 3 of 8 have no price; of the 5 priced: 1 commercial, 2 homes under 600k, 2 neither.
  CHECK(node(s, "priced").out == 5);
  CHECK(node(s, "priced").filtered == 3);
  const auto& split = node(s, "split");
  CHECK(split.in == 5);
  CHECK(port_count(split, "commercial") == 1);
  CHECK(port_count(split, "homes") == 2);
  CHECK(port_count(split, "unmatched") == 0);  // nobody consumes it: counted filtered instead
  CHECK(split.filtered == 2);
  CHECK(split.out == 3);
  // One home has assessed_value 0: its ratio is not a number, so the record is dead-lettered.
  CHECK(node(s, "ratio").out == 1);
  CHECK(node(s, "ratio").errors == 1);
  CHECK(s.dead_letters == 1);

  // Reconciled end to end: what the source read is what reached a sink, was filtered or failed.
  std::int64_t filtered = 0, errors = 0;
  for (const auto& n : s.nodes) filtered += n.filtered, errors += n.errors;
  CHECK(node(s, "homes").in + node(s, "commercial").in + filtered + errors == node(s, "src").out);

  auto homes = read_jsonl(dir.path / "out/homes.jsonl");
  REQUIRE(homes.size() == 1);
  CHECK(homes[0].at("id") == "mls:armls:6700000");
  CHECK(homes[0].at("price_to_assessed") == 12.58);
  CHECK(homes[0].at("fcv") == 240000);
  CHECK(!homes[0].contains("provenance"));
  auto commercial = read_jsonl(dir.path / "out/commercial.jsonl");
  REQUIRE(commercial.size() == 1);
  CHECK(commercial[0].at("id") == "mls:armls:6700003");
  auto dead = read_jsonl(dir.path / "out/dead_letters.jsonl");
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].at("node") == "ratio");
  CHECK(dead[0].at("record").at("id") == "mls:armls:6700004");
}

TEST_CASE("flowrun test asserts the example's filter and route outcomes", "[pipeline][configtest]") {
  Diagnostics diags;
  auto results = run_config_tests(kData + "triage_test.yaml", registry(), diags);
  std::string problems;
  for (const auto& d : diags.all()) problems += d.str() + "\n";
  INFO(problems);
  CHECK(!diags.has_errors());
  REQUIRE(results.size() == 3);
  for (const auto& r : results) {
    std::string why;
    for (const auto& f : r.failures) why += f + "\n";
    INFO(r.name << "\n" << why);
    CHECK(r.passed);
  }
}

TEST_CASE("flowrun test fails when a route sends a record elsewhere than expected", "[pipeline][configtest]") {
  TempDir dir;
  dir.write("triage.yaml", read_file(kData + "triage.yaml"));
  dir.write("t.yaml", R"(pipeline: triage.yaml
tests:
  - name: a condo is not commercial
    inputs:
      - insert_at: split
        records: [{id: "mls:4", property_type: condo, price: 325000}]
    outputs:
      - extract_from: split.commercial
        expect: [{id: "mls:4"}]
)");
  Diagnostics diags;
  auto results = run_config_tests((dir.path / "t.yaml").string(), registry(), diags);
  REQUIRE(results.size() == 1);
  CHECK(!results[0].passed);
}
