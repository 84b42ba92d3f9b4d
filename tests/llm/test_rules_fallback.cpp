#include <catch2/catch.hpp>

#include "nodes/llm/rules_fallback.hpp"

using namespace flowrun::llm;
namespace json = boost::json;

TEST_CASE("rules extract listing facts from text") {
  auto o = rules_extract("<div class=card><h2>4027 N 55th Ave, Phoenix, AZ 85031</h2>"
                         "<span>$389,900</span> Make an offer! 3 beds | 2.5 baths | 1,850 sqft</div>");
  CHECK(o.at("price") == 389900);
  CHECK(o.at("beds") == 3);
  CHECK(o.at("baths") == 2.5);
  CHECK(o.at("sqft") == 1850);
  CHECK(o.at("address") == "4027 N 55th Ave, Phoenix, AZ 85031");
  CHECK(parse_price_text("$1.5M") == 1500000);
  CHECK(parse_price_text("Price: $850k") == 850000);
  CHECK(parse_price_text("Price Upon Request") < 0);
  CHECK(rules_extract("Studio, 850 sq. ft.").at("beds") == 0);
}

TEST_CASE("rules never invent values that are not in the text") {
  auto o = rules_extract("Charming home, call for details");
  CHECK(o.empty());
}

TEST_CASE("rules enrichment describes from fields and finds features") {
  json::object rec{{"address", json::object{{"street", "1 Main St"}, {"city", "Phoenix"}}},
                   {"property_type", "single_family"}, {"beds", 3}, {"baths", 2}, {"sqft", 1500},
                   {"description", "Remodeled kitchen, sparkling POOL, 2-car garage, no HOA."}};
  auto o = rules_enrich(rec);
  CHECK(o.at("description") == "3 bed, 2 bath, 1500 sqft single family at 1 Main St, Phoenix");
  auto f = o.at("key_features").as_array();
  CHECK(f == json::array{"pool", "garage", "updated", "no HOA"});
  CHECK_FALSE(o.contains("investment"));
}
