// The address parser's provenance (which rule produced each part), its warnings, the unit
// column normaliser, and how both reach the canonical record (provenance "address.parse",
// `source_warnings`) through canonical.cpp and the normalizer node.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "engine/context.hpp"
#include "engine/node.hpp"
#include "engine/registry.hpp"
#include "nodes/normalizer/address.hpp"
#include "nodes/normalizer/canonical.hpp"
#include "nodes/normalizer/register.hpp"

using namespace flowrun::normalizer;
namespace json = boost::json;

TEST_CASE("each part says which rule produced it", "[address][rules]") {
  struct Case {
    const char *input, *rules;
  };
  const Case cases[] = {
      {"123 Main Street, Phoenix, AZ 85001", "number=digits street=suffix city=comma_part state=code zip=end"},
      {"123 Main St Phoenix Arizona 85001-1234", "number=digits street=suffix city=place_table state=name zip=end"},
      {"1234 S King Dr Chicago IL", "number=digits street=suffix city=after_street state=code"},
      {"123 Broadway Tempe AZ", "number=digits street=before_city city=place_table state=code"},
      {"7606 W INDIAN SCHOOL RD 1", "number=digits street=suffix unit=after_suffix"},
      {"1 Main St Apt 4", "number=digits street=before_unit unit=designator"},
      {"1 Main St #4", "number=digits street=before_unit unit=pound"},
      {"1 Main St 3rd Floor", "number=digits street=before_unit unit=floor_ordinal"},
      {"1 Main St Rear", "number=digits street=before_unit unit=unitless"},
      {"1 Main St, Unit 5, Mesa", "number=digits street=suffix unit=comma_part city=comma_part"},
      {"36401 County Road 43", "number=digits street=numbered_road"},
      {"123 1/2 Main St", "number=fraction street=suffix"},
      {"N165 W2123 Tartan Ct", "number=grid street=suffix"},
      {"T703 State Route 66", "number=letter_prefix street=numbered_road"},
      {"One S Dearborn St", "number=spelled street=suffix"},
      {"10 Broadway", "number=digits street=whole"},
  };
  for (const auto& c : cases) {
    INFO("input: \"" << c.input << "\"");
    CHECK(describe_rules(parse_address(c.input).rules) == c.rules);
  }
}

TEST_CASE("a line the tables resolve carries no warning, an ambiguous one says what it did", "[address][rules]") {
  CHECK(parse_address("1800 M Street, NW, Washington, DC 20036").warnings.empty());
  CHECK(parse_address("800 N Lindbergh Blvd St. Louis MO").warnings.empty());
  auto a = parse_address("1180 Peachtree Street, NE");
  REQUIRE(a.warnings.size() == 1);
  CHECK(a.warnings[0] == "address: 'NE' after the street read as a directional, not the state");
  CHECK(a.state.empty());
  auto b = parse_address("123 Main St Chicago");
  REQUIRE(b.warnings.size() == 1);
  CHECK(b.warnings[0] == "address: 'Chicago' after the street could not be placed; kept in the street");
  CHECK(b.city.empty());
}

TEST_CASE("unit columns: every Pub 28 designator is stripped", "[address][rules]") {
  struct Case {
    const char *in, *out;
  };
  const Case cases[] = {
      {"Unit B", "B"},   {"#102", "102"},    {"apt 4b", "4B"},     {"LOT 163", "163"}, {"SP#348", "348"},
      {"SPC 12", "12"},  {"SPACE 12", "12"}, {"TRLR 4", "4"},      {"Ste. 200", "200"}, {"3rd Floor", "3"},
      {"Fl 3", "3"},     {"Rear", "REAR"},   {"Penthouse", "PH"},  {"4B", "4B"},       {"Apt", ""},
      {"", ""},          {"Bldg 3 Apt 4", "3 APT 4"},
  };
  for (const auto& c : cases) {
    INFO("unit: \"" << c.in << "\"");
    CHECK(normalize_unit(c.in) == c.out);
  }
}

namespace {

const Mapping& html_mapping() {
  static Mapping m = load_mapping_file("pipelines/mappings/html_listing.yaml");
  return m;
}

class Collect : public flowrun::Emitter {
 public:
  using flowrun::Emitter::emit;
  void emit(std::string_view, flowrun::Record r) override { out.push_back(std::move(r)); }
  void filtered() override {}
  std::vector<flowrun::Record> out;
};

}  // namespace

TEST_CASE("canonical record: the parse's rules in provenance, its warnings in source_warnings", "[address][rules]") {
  auto raw = json::parse(R"({"address":"1180 Peachtree Street, NE","url":"https://example.test/1"})").as_object();
  json::object c = to_canonical(raw, html_mapping(), {"listings", "", "2026-11-23T09:00:00Z"});
  CHECK(c.at("address").at("street") == "1180 Peachtree St NE");
  CHECK(c.at("address").at("state").is_null());
  CHECK(c.at("provenance").at("address.parse") == "number=digits street=suffix");
  REQUIRE(c.contains("source_warnings"));
  const auto& w = c.at("source_warnings").as_array();
  REQUIRE(w.size() == 1);
  CHECK(w[0] == "address: 'NE' after the street read as a directional, not the state");

  auto clean = json::parse(R"({"address":"123 Main St, Phoenix, AZ 85001","url":"https://example.test/2"})").as_object();
  json::object d = to_canonical(clean, html_mapping(), {"listings", "", "2026-11-23T09:00:00Z"});
  CHECK(!d.contains("source_warnings"));
  CHECK(d.at("provenance").at("address.parse") == "number=digits street=suffix city=comma_part state=code zip=end");
}

TEST_CASE("normalizer node: address warnings and the collector's warnings both reach the record", "[address][rules]") {
  flowrun::Registry reg;
  flowrun::register_normalizer_nodes(reg);
  YAML::Node opts = YAML::Load("{mapping: pipelines/mappings/html_listing.yaml}");
  auto node = flowrun::make_node(*reg.find("normalizer"), "normalize", opts, "", YAML::Node());
  auto* proc = dynamic_cast<flowrun::ProcessNode*>(node.get());
  REQUIRE(proc);
  flowrun::Resources resources;
  flowrun::RunContext ctx("test", "run-1", resources, {});
  Collect out;
  flowrun::Record r(json::parse(R"({"address":"123 Main St Chicago","url":"https://example.test/3"})").as_object());
  r.meta["warnings"] = json::array{"details: HTTP 500"};
  proc->process(std::move(r), ctx, out);
  REQUIRE(out.out.size() == 1);
  const auto& w = out.out[0].data.at("source_warnings").as_array();
  REQUIRE(w.size() == 2);
  CHECK(w[0] == "address: 'Chicago' after the street could not be placed; kept in the street");
  CHECK(w[1] == "details: HTTP 500");
}
