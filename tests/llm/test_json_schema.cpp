#include <catch2/catch.hpp>

#include "harness.hpp"
#include "nodes/llm/json_schema.hpp"

using namespace flowrun::llm;
namespace json = boost::json;

namespace {
json::value enrich_schema() { return json::parse(flowrun::testing::enrich_schema_text()); }
json::value good_enrichment() {
  return json::parse(R"({"description":"A tidy 3 bed home.","key_features":["pool","garage"],
    "investment":{"rental_estimate":1850,"cap_rate":5.25,"market_trend":"rising","recommendation":"buy"}})");
}
}  // namespace

TEST_CASE("a reply that matches the enrichment schema has no violations") {
  CHECK(check_schema(good_enrichment(), enrich_schema()).empty());
}

TEST_CASE("schema violations name the path and the rule") {
  auto v = good_enrichment();
  v.at("investment").at("recommendation") = "sell";
  v.at("investment").at("cap_rate") = 99;
  v.at("key_features").as_array().push_back(42);
  v.as_object().erase("description");
  v.as_object()["extra"] = true;
  auto errs = check_schema(v, enrich_schema());
  auto has = [&](const std::string& path, const std::string& rule) {
    for (auto& e : errs)
      if (e.path == path && e.rule == rule) return true;
    return false;
  };
  CHECK(has("$", "required"));
  CHECK(has("$.extra", "additionalProperties"));
  CHECK(has("$.investment.recommendation", "enum"));
  CHECK(has("$.investment.cap_rate", "enum"));  // a choice of quarter percents
  CHECK(has("$.key_features[2]", "type"));
  CHECK(errs.size() == 5);
}

TEST_CASE("integer, nullable and length rules") {
  auto schema = json::parse(flowrun::testing::extract_schema_text());
  CHECK(check_schema(json::parse(R"({"address":null,"price":450000,"beds":3,"baths":2.5,"sqft":1850})"), schema).empty());
  CHECK(check_schema(json::parse(R"({"address":"1 Main St","price":null,"beds":3.0,"baths":null,"sqft":null})"), schema).empty());
  auto errs = check_schema(json::parse(R"({"address":"x","price":"450k","beds":2.5,"baths":-1,"sqft":10})"), schema);
  REQUIRE(errs.size() == 3);
  CHECK(errs[0].path == "$.price");
  CHECK(errs[1].path == "$.beds");
  CHECK(errs[2].rule == "minimum");
  CHECK(check_schema(json::value(5), json::parse(R"({"type":"string","maxLength":3})")).front().rule == "type");
  CHECK(check_schema(json::value("abcd"), json::parse(R"({"type":"string","maxLength":3})")).front().rule == "maxLength");
  // Characters, not bytes: three Cyrillic letters (6 bytes) fit maxLength 3, as llama.cpp counts.
  CHECK(check_schema(json::value("\u0434\u043e\u043c"), json::parse(R"({"type":"string","maxLength":3})")).empty());
  CHECK(check_schema(json::value("\u0434\u043e\u043c!"), json::parse(R"({"type":"string","maxLength":3})")).size() == 1);
  CHECK(check_schema(json::parse("[1,2,3]"), json::parse(R"({"type":"array","maxItems":2})")).front().rule == "maxItems");
}

TEST_CASE("example_for_schema is deterministic and valid for our schemas") {
  for (const std::string& text : {flowrun::testing::enrich_schema_text(), flowrun::testing::extract_schema_text()}) {
    auto schema = json::parse(text);
    for (std::uint64_t seed : {1ULL, 2ULL, 99ULL, 123456789ULL}) {
      auto v = example_for_schema(schema, seed);
      INFO(json::serialize(v));
      CHECK(check_schema(v, schema).empty());
      CHECK(v == example_for_schema(schema, seed));
    }
  }
  CHECK(example_for_schema(json::parse(flowrun::testing::enrich_schema_text()), 1) !=
        example_for_schema(json::parse(flowrun::testing::enrich_schema_text()), 2));
}

TEST_CASE("worst-case reply length: what a grammar lets a server write, counted by hand") {
  // {"a":"xxxx","n":[true,false],"k":"hold"}: strings at maxLength, arrays at maxItems, enums at
  // their longest member.
  auto small = json::parse(R"({"type":"object","additionalProperties":false,"properties":{
    "a":{"type":"string","maxLength":4},
    "n":{"type":"array","maxItems":2,"items":{"type":"boolean"}},
    "k":{"type":"string","enum":["buy","hold"]},
    "i":{"type":["integer","null"],"minimum":-5,"maximum":12000}}})");
  auto b = worst_case_reply(small);
  CHECK(b.bounded());
  // 2 braces + "a":"xxxx" (10) + "n":[false,false] (17) + "k":"hold" (10) + "i":12000 (9) + 3 commas
  CHECK(b.chars == 2 + 10 + 17 + 10 + 9 + 3);
  CHECK(b.gaps == (2 + 2 * 4 + 3) + (2 + 1));  // the object's and the array's
  CHECK(worst_case_tokens(b) == (b.chars + 2) / 3 + b.gaps);

  auto why = [](const char* schema) { return worst_case_reply(json::parse(schema)).unbounded; };
  CHECK(why(R"({"type":"object","additionalProperties":false,"properties":{"d":{"type":"string"}}})") ==
        "$.d: a string without maxLength or enum");
  CHECK(why(R"({"type":"object","additionalProperties":false,"properties":{"f":{"type":"array","items":{"type":"string","maxLength":3}}}})") ==
        "$.f: an array without maxItems");
  CHECK(why(R"({"type":"object","properties":{}})").rfind("$: additionalProperties is not false", 0) == 0);
  CHECK(why(R"({"type":"object","additionalProperties":false,"properties":{"x":{}}})") == "$.x: no type or enum");
  CHECK(why(R"({"type":"object","additionalProperties":false,"properties":{"x":{"type":"number"}}})") == "");
}

TEST_CASE("the shipped schemas are bounded and fit the default max_tokens (512)") {
  for (const std::string& text : {flowrun::testing::enrich_schema_text(), flowrun::testing::extract_schema_text()}) {
    auto b = worst_case_reply(json::parse(text));
    INFO(b.unbounded << " chars " << b.chars << " gaps " << b.gaps);
    CHECK(b.bounded());
    CHECK(worst_case_tokens(b) <= 512);
  }
}
