// Record fields known before the run (engine/fields.hpp): FieldSet's rules, and the csv sink's
// check of its columns against what its inputs declare, through the loader as `flowrun check` runs it.
#include <catch2/catch.hpp>

#include "engine/fields.hpp"
#include "tests/engine/test_nodes.hpp"

using namespace flowrun;
using namespace flowrun::testing;

namespace {

std::vector<std::string> errors_of(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.all())
    if (d.severity == Severity::error) out.push_back(d.str());
  return out;
}

}  // namespace

TEST_CASE("a field set knows parents, open objects, removals and renames", "[fields]") {
  FieldSet f{"id", "address.street", "address.city", "attributes.*"};
  CHECK(f.has("address"));
  CHECK(f.has("address.street"));
  CHECK_FALSE(f.has("address.county"));
  CHECK(f.has("attributes"));
  CHECK(f.has("attributes.pool"));
  CHECK(f.has("attributes.pool.depth"));
  CHECK_FALSE(f.has("adress.street"));
  CHECK(f.names() == std::vector<std::string>{"address", "address.city", "address.street", "attributes", "id"});

  f.rename("address", "location");
  CHECK_FALSE(f.has("address.street"));
  CHECK(f.has("location.street"));
  f.remove("location");
  CHECK_FALSE(f.has("location"));
  CHECK_FALSE(f.has("location.city"));
  f.rename("nowhere", "somewhere");  // a field the records lack moves nowhere
  CHECK_FALSE(f.has("somewhere"));
}

TEST_CASE("a csv column no declared field matches is a check error at the column", "[fields][csv]") {
  auto r = load(R"(nodes:
  src: {type: file, path: in.jsonl, fields: [id, address.street, address.city]}
  out: {type: csv, inputs: [src], path: out.csv, columns: [id, adress.street, address.city]}
)");
  CHECK(errors_of(r) == std::vector<std::string>{
                            "t.yaml:3:64: error: node 'out': option 'columns': column 'adress.street' is not a field "
                            "of the records it receives (did you mean 'address.street'?)"});
}

TEST_CASE("a dotted column naming a known nested field passes", "[fields][csv]") {
  load_ok(R"(nodes:
  src: {type: file, path: in.jsonl, fields: [id, address.street, attributes.*]}
  out: {type: csv, inputs: [src], path: out.csv, columns: [id, address, address.street, attributes.pool]}
)");
}

TEST_CASE("columns are not checked when what arrives is unknown", "[fields][csv]") {
  SECTION("a source that declares no fields") {
    load_ok(R"(nodes:
  src: {type: file, path: in.jsonl}
  out: {type: csv, inputs: [src], path: out.csv, columns: [adress.street]}
)");
  }
  SECTION("a node in between that declares nothing") {
    load_ok(R"(nodes:
  src: {type: file, path: in.jsonl, fields: [id]}
  p: {type: pass, inputs: [src]}
  out: {type: csv, inputs: [p], path: out.csv, columns: [adress.street]}
)");
  }
  SECTION("one of two inputs unknown") {
    load_ok(R"(nodes:
  a: {type: file, path: a.jsonl, fields: [id]}
  b: {type: file, path: b.jsonl}
  out: {type: csv, inputs: [a, b], path: out.csv, columns: [price]}
)");
  }
  SECTION("a failure port, whose records carry what the failure added") {
    load_ok(R"(nodes:
  src: {type: file, path: in.jsonl, fields: [id]}
  ok: {type: jsonl, inputs: [src], path: ok.jsonl}
  out: {type: csv, inputs: [src.errors], path: out.csv, columns: [error]}
)");
  }
}

TEST_CASE("the fields of several known inputs add up", "[fields][csv]") {
  load_ok(R"(nodes:
  a: {type: file, path: a.jsonl, fields: [id]}
  b: {type: file, path: b.jsonl, fields: [price]}
  out: {type: csv, inputs: [a, b], path: out.csv, columns: [id, price]}
)");
}
