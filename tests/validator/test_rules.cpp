// The shipped rule set over canonical records: assessor parcels without price are valid,
// out-of-range and inconsistent records fail with every rule named, LLM fields are checked.
#include <catch2/catch.hpp>

#include "nodes/validator/rules.hpp"

using namespace flowrun::validator;
namespace json = boost::json;

namespace {
const RuleSet& shipped() {
  static RuleSet rs = load_rules_file("pipelines/rules/property.yaml", 2026);
  return rs;
}

// A complete, valid listing; tests patch fields into it.
json::object listing() {
  return json::parse(R"J({"id":"mls:armls:1","source":"redfin","raw_kind":"redfin_csv","apn":null,
    "address":{"street":"123 Main St","unit":null,"city":"Phoenix","state":"AZ","zip":"85001","zip4":null},
    "property_type":"single_family","price":450000,"beds":3,"baths":2.5,"sqft":1850,"lot_sqft":7200,
    "year_built":1998,"price_per_sqft":243.24})J").as_object();
}

json::object parcel() {
  return json::parse(R"J({"id":"apn:10306005","source":"assessor","raw_kind":"maricopa","apn":"10306005",
    "address":{"street":"4027 N 55th Ave","unit":null,"city":"Phoenix","state":"AZ","zip":"85031","zip4":null},
    "property_type":"single_family","price":null,"assessed_value":20150,"full_cash_value":285000,
    "beds":null,"baths":null,"bath_fixtures":5,"sqft":1257,"lot_sqft":6098,"year_built":1958,
    "price_per_sqft":null})J").as_object();
}

void set(json::object& o, const std::string& dotted, json::value v) {
  json::object* cur = &o;
  std::size_t start = 0, dot;
  while ((dot = dotted.find('.', start)) != std::string::npos) {
    std::string key = dotted.substr(start, dot - start);
    if (!cur->contains(key) || !(*cur)[key].is_object()) (*cur)[key] = json::object{};
    cur = &(*cur)[key].as_object();
    start = dot + 1;
  }
  (*cur)[dotted.substr(start)] = std::move(v);
}

bool has_failure(const std::vector<Failure>& fs, const std::string& field, const std::string& rule) {
  for (const auto& f : fs)
    if (f.field == field && f.rule == rule) return true;
  return false;
}
}  // namespace

TEST_CASE("a complete listing is valid with a perfect score", "[rules]") {
  Outcome o = evaluate(shipped(), listing());
  CHECK(o.errors.empty());
  CHECK(o.warnings.empty());
  CHECK(o.score == Approx(1.0));
}

TEST_CASE("an assessor parcel without a list price is valid", "[rules]") {
  Outcome o = evaluate(shipped(), parcel());
  CHECK(o.valid());
  CHECK(o.warnings.empty());
  CHECK(o.score == Approx(1.0));
  // ...but a parcel without an APN is not.
  auto p = parcel();
  p["apn"] = nullptr;
  o = evaluate(shipped(), p);
  CHECK(has_failure(o.errors, "apn", "required"));
  // and one without any value is valid with a warning and a lower score.
  p = parcel();
  p["assessed_value"] = nullptr;
  p["full_cash_value"] = nullptr;
  o = evaluate(shipped(), p);
  CHECK(o.valid());
  CHECK(has_failure(o.warnings, "full_cash_value|assessed_value", "any_of"));
  CHECK(o.completeness == Approx(0.8));
  CHECK(o.score < 1.0);
}

TEST_CASE("rule table: one change, expected verdict", "[rules]") {
  struct Case {
    const char* field;
    const char* value_json;
    const char* failed_field;
    const char* failed_rule;
    bool rejects;
  };
  const Case cases[] = {
      {"price", "500", "price", "range", true},
      {"price", "60000000", "price", "range", true},
      {"price", "1000", nullptr, nullptr, false},
      {"price", "\"cheap\"", "price", "range", true},
      {"beds", "21", "beds", "range", true},
      {"beds", "-1", "beds", "range", true},
      {"baths", "25", "baths", "range", true},
      {"sqft", "60", "sqft", "range", true},
      {"sqft", "60000", "sqft", "range", true},
      {"year_built", "1849", "year_built", "range", true},
      {"year_built", "2027", nullptr, nullptr, false},  // next year: new construction
      {"year_built", "2028", "year_built", "range", true},
      {"address.zip", "\"8500\"", "address.zip", "pattern", true},
      {"address.zip", "\"85001-1234\"", "address.zip", "pattern", true},
      {"address.state", "\"Arizona\"", "address.state", "pattern", true},
      {"address.state", "\"NM\"", "address.state", "one_of", false},
      {"property_type", "\"castle\"", "property_type", "one_of", true},
      {"address.street", "null", "address.street", "required", false},  // kept by its id: warning only
      {"id", "\"\"", "id", "required", true},
      {"price", "null", "price", "required", false},       // listing without price: warning only
      {"address.zip", "null", "address.zip", "required", false},
      {"address.city", "null", "address.city", "required", false},
      {"lot_sqft", "10", "lot_sqft", "range", false},
      {"price_per_sqft", "5000", "price_per_sqft", "range", false},
      {"enrichment.investment.recommendation", "\"strong buy\"", "enrichment.investment.recommendation", "one_of", true},
      {"enrichment.investment.recommendation", "\"Buy\"", nullptr, nullptr, false},
      {"enrichment.investment.cap_rate", "30", "enrichment.investment.cap_rate", "range", true},  // percent
      {"enrichment.investment.cap_rate", "6.5", nullptr, nullptr, false},
      {"enrichment.investment.rental_estimate", "5", "enrichment.investment.rental_estimate", "range", true},
      {"enrichment.key_features", "\"pool\"", "enrichment.key_features", "type", false},
      {"enrichment.price", "1", "enrichment.price", "no_override", true},  // prompt injection
      {"enrichment.price", "450000", nullptr, nullptr, false},
      {"enrichment.beds", "9", "enrichment.beds", "no_override", true},
      {"enrichment.sqft", "1900", nullptr, nullptr, false},  // within 5%
      {"enrichment.sqft", "2500", "enrichment.sqft", "no_override", false},
  };
  for (const auto& c : cases) {
    INFO(c.field << " = " << c.value_json);
    auto rec = listing();
    set(rec, c.field, json::parse(c.value_json));
    Outcome o = evaluate(shipped(), rec);
    CHECK(o.valid() == !c.rejects);
    if (c.failed_field) {
      CHECK((has_failure(o.errors, c.failed_field, c.failed_rule) || has_failure(o.warnings, c.failed_field, c.failed_rule)));
      // Presence errors (id, street) reject but are not part of the score's field lists.
      if (!(c.rejects && std::string(c.failed_rule) == "required")) CHECK(o.score < 1.0);
    } else {
      CHECK(o.errors.empty());
      CHECK(o.warnings.empty());
    }
  }
}

TEST_CASE("cross-field consistency: 8 beds in 400 sqft", "[rules]") {
  auto rec = listing();
  rec["beds"] = 8;
  rec["sqft"] = 400;
  rec["price_per_sqft"] = 1125;
  Outcome o = evaluate(shipped(), rec);
  REQUIRE_FALSE(o.valid());
  REQUIRE(has_failure(o.errors, "sqft", "beds_vs_sqft"));
  for (const auto& f : o.errors)
    if (f.rule == "beds_vs_sqft") CHECK_THAT(f.message, Catch::Matchers::Contains("too many bedrooms") && Catch::Matchers::Contains("400 / 8 = 50"));
  CHECK(o.consistency < 1.0);
}

TEST_CASE("every failed rule is reported with field, rule, value and message", "[rules]") {
  auto rec = listing();
  rec["price"] = 5;
  rec["beds"] = 40;
  rec["address"].as_object()["zip"] = "ABCDE";
  Outcome o = evaluate(shipped(), rec);
  REQUIRE(o.errors.size() >= 3);
  CHECK(has_failure(o.errors, "price", "range"));
  CHECK(has_failure(o.errors, "beds", "range"));
  CHECK(has_failure(o.errors, "address.zip", "pattern"));
  for (const auto& f : o.errors) {
    json::object j = f.to_json();
    CHECK(j.contains("field"));
    CHECK(j.contains("rule"));
    CHECK(j.contains("value"));
    CHECK(j.at("severity") == "error");
    CHECK_FALSE(f.message.empty());
    if (f.field == "price") {
      CHECK(j.at("value") == 5);
      CHECK(f.message == "price 5 is below the minimum 1000");
    }
  }
}

TEST_CASE("quality score follows the documented formula", "[rules]") {
  // Listing with no price (completeness 10/11) and an old tax year (validity: one of N failed).
  auto rec = listing();
  rec["price"] = nullptr;
  rec["price_per_sqft"] = nullptr;
  rec["tax_year"] = 1980;
  Outcome o = evaluate(shipped(), rec);
  CHECK(o.valid());
  CHECK(o.completeness == Approx(10.0 / 11.0));
  CHECK(o.validity < 1.0);
  CHECK(o.consistency == Approx(1.0));
  double expect = 0.5 * o.completeness + 0.3 * o.validity + 0.2 * o.consistency;
  CHECK(o.score == Approx(expect).margin(0.0006));
  REQUIRE(o.missing.size() == 1);
  CHECK(o.missing[0] == "price");
}

TEST_CASE("bad rule files name file, line and column", "[rules]") {
  struct Bad {
    const char *yaml, *expect;
  };
  const Bad bad[] = {
      {"rules:\n  - {rule: rnage, field: price, min: 1}\n", "r.yaml:2:12: unknown rule 'rnage' (did you mean 'range'?)"},
      {"rules:\n  - {rule: range, field: price}\n", "r.yaml:2:5: rule 'range' needs"},
      {"rules:\n  - {rule: range, field: price, min: lots}\n", "r.yaml:2:38: 'lots' is not a number"},
      {"rules:\n  - {rule: pattern, field: zip, pattern: '([0-9'}\n", "bad regular expression"},
      {"rules:\n  - {rule: range, field: price, min: 1, severty: warning}\n", "unknown key 'severty' in a rule (did you mean 'severity'?)"},
      {"score_weights: {completeness: 0.5, validity: 0.5, consistency: 0.5}\n", "must add up to 1"},
      {"rulez: []\n", "r.yaml:1:1: unknown key 'rulez' (did you mean 'rules'?)"},
  };
  for (const auto& b : bad) {
    INFO(b.yaml);
    try {
      parse_rules(b.yaml, "r.yaml", 2026);
      FAIL("expected RulesError");
    } catch (const RulesError& e) {
      CHECK_THAT(e.what(), Catch::Matchers::Contains(b.expect));
    }
  }
}

TEST_CASE("this_year / next_year follow the given year", "[rules]") {
  RuleSet rs = parse_rules("rules:\n  - {rule: range, field: y, max: next_year}\n", "r.yaml", 2030);
  CHECK(evaluate(rs, json::parse(R"({"y": 2031})").as_object()).valid());
  CHECK_FALSE(evaluate(rs, json::parse(R"({"y": 2032})").as_object()).valid());
}

TEST_CASE("ranges and rents: accepted with their own ranges, checked once", "[rules][ranges]") {
  // A rental with ranges only: no price (and no warning about one), no exact rent (a warning).
  auto rec = listing();
  for (const char* f : {"price", "beds", "baths", "sqft", "price_per_sqft"}) rec[f] = nullptr;
  rec["listing_type"] = "rent";
  rec["rent_min"] = 3834, rec["rent_max"] = 4002;
  rec["beds_min"] = 0, rec["beds_max"] = 2;
  rec["sqft_min"] = 529, rec["sqft_max"] = 1225;
  Outcome o = evaluate(shipped(), rec);
  CHECK(o.valid());
  CHECK_FALSE(has_failure(o.warnings, "price", "required"));
  CHECK(has_failure(o.warnings, "rent", "required"));

  auto bad = rec;
  bad["beds_min"] = 3;  // above its max
  o = evaluate(shipped(), bad);
  CHECK(has_failure(o.errors, "beds_min", "beds_range_order"));
  bad = rec;
  bad["rent_max"] = 500000;
  o = evaluate(shipped(), bad);
  CHECK(has_failure(o.errors, "rent_max", "range"));
  bad = rec;
  bad["listing_type"] = "auction";
  o = evaluate(shipped(), bad);
  CHECK(has_failure(o.errors, "listing_type", "one_of"));

  // An exact out-of-range value is reported once, on the plain field, not again on its ends.
  auto exact = listing();
  exact["price"] = exact["price_min"] = exact["price_max"] = 500;
  o = evaluate(shipped(), exact);
  CHECK(has_failure(o.errors, "price", "range"));
  CHECK_FALSE(has_failure(o.errors, "price_min", "range"));
  CHECK_FALSE(has_failure(o.errors, "price_max", "range"));
  // A sale range alone is checked on its ends.
  auto ranged = listing();
  ranged["price"] = nullptr;
  ranged["price_min"] = 500, ranged["price_max"] = 600000;
  o = evaluate(shipped(), ranged);
  CHECK(has_failure(o.errors, "price_min", "range"));
  CHECK(has_failure(o.warnings, "price", "required"));
}

TEST_CASE("when/unless: a list of maps is any of them, null matches an absent field", "[rules]") {
  RuleSet rs = parse_rules(R"(
rules:
  - {rule: required, field: price, unless: [{raw_kind: maricopa}, {listing_type: rent}]}
  - {rule: range, field: price_min, min: 10, when: {price: null}}
)", "r.yaml", 2026);
  auto check = [&](const char* rec_json) { return evaluate(rs, json::parse(rec_json).as_object()); };
  CHECK(check(R"({"raw_kind":"maricopa"})").valid());
  CHECK(check(R"({"raw_kind":"html_listing","listing_type":"rent"})").valid());
  CHECK_FALSE(check(R"({"raw_kind":"html_listing","listing_type":"sale"})").valid());
  CHECK(check(R"({"price":5,"price_min":1,"raw_kind":"maricopa"})").valid());  // price present: min unchecked
  CHECK_FALSE(check(R"({"price_min":1,"raw_kind":"maricopa"})").valid());
  CHECK_THROWS_WITH(parse_rules("rules:\n  - {rule: required, field: a, when: []}\n", "r.yaml"),
                    Catch::Contains("r.yaml:2:") && Catch::Contains("no conditions"));
}
