// Mapping files: the shipped ones load, raw paths resolve, bad files name file:line:column.
#include <catch2/catch.hpp>

#include "nodes/normalizer/mapping.hpp"

using namespace flowrun::normalizer;
namespace json = boost::json;

TEST_CASE("shipped mappings load", "[mapping]") {
  for (const char* name : {"maricopa", "redfin_csv", "html_listing"}) {
    INFO(name);
    Mapping m = load_mapping_file(std::string("pipelines/mappings/") + name + ".yaml");
    CHECK(m.kind == name);
    CHECK(m.line.has_value());
    CHECK_FALSE(m.property_types.empty());
    CHECK_FALSE(m.detect_has.empty());
  }
}

TEST_CASE("raw paths: literal keys, dots, indexes, newest", "[mapping]") {
  json::object raw = json::parse(R"J({
    "APN": "10306005",
    "URL (SEE https://www.redfin.com/x FOR INFO)": "https://www.redfin.com/AZ/1",
    "details": {"valuations": [
        {"TaxYear": "2024", "FullCashValue": "300000"},
        {"TaxYear": "2026", "FullCashValue": "350000"},
        {"TaxYear": "2025", "FullCashValue": "320000"}],
      "residential-details": {"LivableSpace": "1850"}}})J").as_object();
  auto get = [&](const char* p) -> std::string {
    const json::value* v = lookup(raw, parse_raw_path(p));
    return v ? json::serialize(*v) : "missing";
  };
  CHECK(get("APN") == "\"10306005\"");
  CHECK(get("URL (SEE https://www.redfin.com/x FOR INFO)") == "\"https://www.redfin.com/AZ/1\"");
  CHECK(get("details.valuations[0].TaxYear") == "\"2024\"");
  CHECK(get("details.valuations[newest TaxYear].FullCashValue") == "\"350000\"");
  CHECK(get("details.residential-details.LivableSpace") == "\"1850\"");
  CHECK(get("details.valuations[9].TaxYear") == "missing");
  CHECK(get("details.nothing.here") == "missing");
  CHECK_THROWS_AS(parse_raw_path("a[oops"), std::invalid_argument);
  CHECK_THROWS_AS(parse_raw_path("a[latest]"), std::invalid_argument);
}

TEST_CASE("newest over [] or a missing list is simply no value", "[mapping]") {
  json::object raw = json::parse(R"J({"details": {"valuations": []}})J").as_object();
  CHECK(lookup(raw, parse_raw_path("details.valuations[newest TaxYear].FullCashValue")) == nullptr);
  raw = json::parse(R"J({"details": []})J").as_object();
  CHECK(lookup(raw, parse_raw_path("details.valuations[newest TaxYear].FullCashValue")) == nullptr);
}

TEST_CASE("bad mapping files name file, line and column", "[mapping]") {
  struct Bad {
    const char *yaml, *expect;
  };
  const Bad bad[] = {
      {"kind: x\naddress: {line: A}\nfields:\n  prce: PRICE\n", "m.yaml:4:3: unknown canonical field 'prce' (did you mean 'price'?)"},
      {"kind: x\naddress: {line: A}\nfields:\n  price: {from: P, parse: mony}\n", "m.yaml:4:27: unknown parser 'mony' (did you mean 'money'?)"},
      {"kind: x\naddress: {line: A}\nproperty_types:\n  HOUSE: singel_family\n", "m.yaml:4:10: unknown property type 'singel_family'"},
      {"kind: x\naddress: {line: A}\nfeilds: {}\n", "m.yaml:3:1: unknown key 'feilds' (did you mean 'fields'?)"},
      {"address: {line: A}\n", "needs `kind:`"},
      {"kind: x\n", "needs `address: {line: <raw field>}`"},
      {"kind: x\naddress: {line: A}\nfields: {price: {parse: money}}\n", "needs `from` or `value`"},
      {"kind: x\naddress: {line: \"a[\"}\n", "unclosed '['"},
      {"kind: [x\n", "m.yaml:"},
  };
  for (const auto& b : bad) {
    INFO(b.yaml);
    try {
      parse_mapping(b.yaml, "m.yaml");
      FAIL("expected a MappingError");
    } catch (const MappingError& e) {
      CHECK_THAT(e.what(), Catch::Matchers::Contains(b.expect));
    }
  }
  CHECK_THROWS_WITH(load_mapping_file("no/such/file.yaml"), Catch::Matchers::Contains("cannot open"));
}
