#include <catch2/catch.hpp>

#include "harness.hpp"
#include "nodes/llm/prompt_template.hpp"

using namespace flowrun::llm;
namespace json = boost::json;

TEST_CASE("templates fill dotted placeholders, unknown ones say unknown") {
  PromptTemplate t("Home at {{ address.street }}, {{address.city}} for {{price}}; HOA {{hoa}}.");
  json::object vars{{"address", json::object{{"street", "1 Main St"}, {"city", "Phoenix"}}}, {"price", 450000}};
  CHECK(t.render(vars) == "Home at 1 Main St, Phoenix for 450000; HOA unknown.");
  CHECK(t.placeholders() == std::vector<std::string>{"address.street", "address.city", "price", "hoa"});
  CHECK(t.hash() != PromptTemplate("other").hash());
  CHECK(t.hash().size() == 32);
}

TEST_CASE("the built-in templates use {{input}}") {
  CHECK(PromptTemplate(flowrun::testing::shipped_text("prompts/enrich.txt")).placeholders() == std::vector<std::string>{"input"});
  CHECK(PromptTemplate(flowrun::testing::shipped_text("prompts/extract.txt")).placeholders() == std::vector<std::string>{"input"});
}

TEST_CASE("input is trimmed to the configured fields, HTML stripped, long text cut") {
  std::string long_text(5000, 'x');
  for (std::size_t i = 0; i < long_text.size(); i += 10) long_text[i] = ' ';
  json::object rec{{"address", json::object{{"street", "1 Main St"}, {"city", "Phoenix"}, {"zip", "85001"}}},
                   {"price", 450000},
                   {"html", "<html><head><style>p{}</style></head><body><p>3 beds &amp; 2 baths</p>"
                            "<script>var secret=1;</script><div>  pool  </div></body></html>"},
                   {"description", long_text},
                   {"raw_blob", "never sent"},
                   {"beds", nullptr}};
  auto t = trim_input(rec, {"address.city", "price", "html", "description", "beds", "missing"}, 200);
  CHECK(t.size() == 4);
  CHECK(t.at("address").at("city") == "Phoenix");
  CHECK_FALSE(t.at("address").as_object().contains("street"));
  CHECK(t.at("html") == "3 beds & 2 baths pool");
  auto d = std::string(t.at("description").as_string());
  CHECK(d.size() <= 203);
  CHECK(d.substr(d.size() - 3) == "...");
  CHECK_FALSE(t.contains("raw_blob"));
  CHECK_FALSE(t.contains("beds"));
  CHECK(input_lines(t).find("address.city: Phoenix\n") != std::string::npos);
  CHECK(estimate_tokens(std::string(400, 'a')) == 100);
}

TEST_CASE("hashes are stable across runs") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(hash_hex("abc") == hash_hex("abc"));
}
