// `map`: set (in order, dotted paths, nil as null), rename, delete, script, and errors that leave
// the record unchanged in `errors`.
#include <catch2/catch.hpp>
#include <fstream>

#include "tests/transform/transform_test_support.hpp"

using namespace flowrun;
using namespace flowrun::transform_test;

namespace {

// Runs `map_body` (the map node's options, indented four spaces) over the fixture; returns what
// reached the sink.
std::vector<json::object> mapped(const TempDir& dir, const std::string& map_body, RunSummary* summary = nullptr) {
  auto s = run_in(dir, "nodes:\n"
                       "  src: {type: file, path: " + canonical_fixture() + "}\n"
                       "  change:\n    type: map\n    inputs: [src]\n" + map_body +
                       "  sink: {type: jsonl, inputs: [change], path: out.jsonl}\n"
                       "  dead: {type: dead_letter, inputs: [change.errors], path: dead.jsonl}\n");
  check_balanced(s);
  if (summary) *summary = s;
  return read_jsonl(dir.path / "out.jsonl");
}

}  // namespace

TEST_CASE("map set: computed fields in file order, each seeing the ones before", "[map]") {
  TempDir dir;
  auto out = mapped(dir, R"(    set:
      price_to_assessed: "price and assessed_value > 0 and math.floor(price / assessed_value * 100 + 0.5) / 100 or nil"
      address.county: "'Maricopa'"
      label: "address.city .. ' ' .. address.county"
      has_price: price ~= nil
)");
  REQUIRE(out.size() == 8);
  CHECK(out[0].at("price_to_assessed").is_null());  // no price: nil sets null
  CHECK(out[1].at("price_to_assessed") == 12.58);
  CHECK(out[1].at("address").at("county") == "Maricopa");
  CHECK(out[1].at("label") == "Phoenix Maricopa");
  CHECK(out[1].at("has_price") == true);
  CHECK(out[0].at("has_price") == false);
  CHECK(out[7].at("price_to_assessed").is_null());  // assessed_value 0
}

TEST_CASE("map keeps the record's field order and writes integers as integers", "[map]") {
  TempDir dir;
  auto out = mapped(dir, "    set: {sqft_m2: \"sqft and math.floor(sqft * 0.092903 + 0.5)\", beds: \"beds\"}\n");
  std::vector<std::string> keys;
  for (const auto& kv : out[1]) keys.emplace_back(kv.key());
  CHECK(keys.front() == "id");
  CHECK(keys.back() == "sqft_m2");
  CHECK(out[1].at("sqft_m2").is_int64());
  CHECK(out[1].at("sqft_m2") == 97);
  CHECK(out[1].at("beds").is_int64());
  // The text the sink wrote has no exponent and no trailing .0.
  std::ifstream in(dir.path / "out.jsonl");
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  CHECK(second.find("\"sqft_m2\":97") != std::string::npos);
}

TEST_CASE("map rename and delete, dotted paths included, a missing field skipped", "[map]") {
  TempDir dir;
  auto out = mapped(dir, R"(    rename: {full_cash_value: fcv, address.zip: zip, no_such_field: other}
    delete: [provenance, attributes.legal_class, also_missing]
)");
  REQUIRE(out.size() == 8);
  for (const auto& r : out) {
    CHECK(!r.contains("full_cash_value"));
    CHECK(!r.contains("provenance"));
    CHECK(!r.contains("other"));
    CHECK(!r.at("address").as_object().contains("zip"));
    CHECK(!r.at("attributes").as_object().contains("legal_class"));
  }
  CHECK(out[0].at("fcv") == 285000);
  CHECK(out[0].at("zip") == "85031");
  CHECK(out[0].at("attributes").at("subdivision") == "MARYVALE TERRACE 3 AMD");
}

TEST_CASE("map script: statements over the record as a Lua table, merged back", "[map]") {
  TempDir dir;
  auto out = mapped(dir, R"(    script: |
      local tags = {}
      if record.price == nil then tags[#tags + 1] = "unlisted" end
      if record.property_type == "vacant_land" then tags[#tags + 1] = "land" end
      record.tags = tags
      record.address.city = string.upper(record.address.city)
      record.beds = nil
)");
  REQUIRE(out.size() == 8);
  CHECK(out[0].at("address").at("city") == "PHOENIX");
  CHECK(out[0].at("beds").is_null());  // set to nil: null, not removed
  CHECK(out[1].at("beds").is_null());
  CHECK(out[4].at("tags") == json::parse(R"(["unlisted","land"])"));
  CHECK(out[1].at("tags").is_object());  // an empty Lua table is an empty object
  CHECK(out[1].at("price") == 253500);
  CHECK(out[1].at("price").is_int64());
}

TEST_CASE("a map expression that fails sends the unchanged record to errors", "[map]") {
  TempDir dir;
  RunSummary s;
  auto out = mapped(dir, "    set: {ratio: \"price / assessed_value\"}\n", &s);
  // Three records have no price (arithmetic on nil); one has assessed_value 0 (an infinity).
  CHECK(node(s, "change").errors == 4);
  CHECK(out.size() == 4);
  auto dead = read_jsonl(dir.path / "dead.jsonl");
  REQUIRE(dead.size() == 4);
  std::string reasons;
  for (const auto& d : dead) {
    CHECK(!d.at("record").as_object().contains("ratio"));
    reasons += std::string(d.at("reason").as_string()) + "\n";
  }
  INFO(reasons);
  CHECK(reasons.find("set.ratio (") != std::string::npos);
  CHECK(reasons.find("null or missing in this record: price") != std::string::npos);
  CHECK(reasons.find("not a finite number") != std::string::npos);
}

TEST_CASE("set into a field that is not an object is an error on the record", "[map]") {
  TempDir dir;
  RunSummary s;
  auto out = mapped(dir, "    set: {id.part: \"1\"}\n", &s);
  CHECK(out.empty());
  CHECK(node(s, "change").errors == 8);
  auto dead = read_jsonl(dir.path / "dead.jsonl");
  REQUIRE(!dead.empty());
  CHECK(std::string(dead[0].at("reason").as_string()).find("cannot set 'id.part': 'id' is a string") != std::string::npos);
}
