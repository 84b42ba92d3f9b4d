// JSON paths, the lenient page-JSON parser and JSON cards (JSON-LD, embedded payloads) on
// pages written in the test.
#include <catch2/catch.hpp>

#include "engine/json_text.hpp"
#include "nodes/listings/json_cards.hpp"
#include "nodes/listings/json_path.hpp"
#include "nodes/listings/site_file.hpp"

using namespace flowrun::listings;
namespace json = boost::json;

namespace {
std::vector<std::string> texts(const json::value& root, const char* path) {
  std::vector<std::string> out;
  for (const json::value* v : JsonPath::compile(path).select(root)) out.push_back(flowrun::to_json_text(*v));
  return out;
}
}  // namespace

TEST_CASE("JSON paths: keys, [N], [*], quoted keys, $, a missing step is nothing", "[json_path]") {
  json::value doc = json::parse(R"J({"props": {"searchData": {"homes": [{"id": 1, "price": 10}, {"id": 2}, {"id": 3, "price": 30}]}},
    "offers": [{"price": "425000.00"}], "@type": "Product", "a.b": {"c": true}, "byId": {"x": 1, "y": 2}})J");
  using V = std::vector<std::string>;
  CHECK(texts(doc, "props.searchData.homes[*].id") == V{"1", "2", "3"});
  CHECK(texts(doc, "props.searchData.homes[*].price") == V{"10", "30"});  // the home without one adds nothing
  CHECK(texts(doc, "props.searchData.homes[1].id") == V{"2"});
  CHECK(texts(doc, "offers[0].price") == V{"\"425000.00\""});
  CHECK(texts(doc, "offers.price").empty());       // a key on an array is no value
  CHECK(texts(doc, "offers[5].price").empty());    // past the end
  CHECK(texts(doc, "@type") == V{"\"Product\""});
  CHECK(texts(doc, "[\"a.b\"].c") == V{"true"});
  CHECK(texts(doc, "byId[*]") == V{"1", "2"});     // [*] over an object: its values
  CHECK(texts(doc, "$.props.searchData.homes[0].id") == V{"1"});
  CHECK(texts(doc, "$[\"@type\"]") == V{"\"Product\""});
  CHECK(JsonPath::compile("").select(doc).size() == 1);  // the value itself
  CHECK(JsonPath::compile("props.searchData.homes[*].price").first(doc)->as_int64() == 10);
  CHECK(JsonPath::compile("nothing.here").first(doc) == nullptr);

  struct Bad {
    const char* path;
    std::size_t offset;
  };
  for (Bad b : {Bad{"a..b", 2}, Bad{"a[x]", 2}, Bad{"a[1", 3}, Bad{"a[0]b", 4}, Bad{"a.", 2}, Bad{"$.a[", 4},
                Bad{"a[\"b]", 3}}) {
    INFO(b.path);
    try {
      JsonPath::compile(b.path);
      FAIL("no error");
    } catch (const JsonPathError& e) {
      CHECK(e.offset == b.offset);
      CHECK_THAT(e.what(), Catch::StartsWith("bad JSON path"));
    }
  }
}

TEST_CASE("page JSON: comments, trailing commas, raw newlines, text around the value", "[json_path]") {
  json::value v = parse_page_json("window.__DATA__ = {\"a\": [1, 2,], // note\n \"b\": \"two\nlines\"};\n");
  CHECK(v.at("a").as_array().size() == 2);
  CHECK(v.at("b").as_string() == "two\nlines");
  CHECK(parse_page_json("<!-- -->[{\"x\": \"\\u00e9\\\"\\/\"}]-->").at(0).at("x").as_string() == "\xC3\xA9\"/");
  CHECK_THROWS_WITH(parse_page_json("{\"a\": 1 \"b\": 2}"), Catch::Contains("invalid JSON at character"));
  CHECK_THROWS_WITH(parse_page_json("no json here"), Catch::Contains("no JSON"));
  CHECK_THROWS_WITH(parse_page_json("{\"a\": [1, 2"), Catch::Contains("incomplete"));
}

TEST_CASE("JSON-LD cards: top level, arrays, @graph, ItemList items, siblings by url or another key", "[json_cards]") {
  HtmlDocument doc(R"(<html><head>
<script type="application/ld+json">[{"@type": "Residence", "url": "/h/1", "n": 1}, {"@type": "Product", "url": "http://x.test/h/1", "p": 100},
  {"@type": "Product", "url": "/h/2", "p": 200}]</script>
<script type="application/ld+json; charset=utf-8">{"@graph": [{"@type": ["Thing", "schema:Residence"], "url": "/h/2", "n": 2, "sku": "B"},
  {"@type": "Offer", "sku": "B", "p": 250}]}</script>
<script type="application/ld+json">{"@type": "ItemList", "itemListElement": [{"item": {"@type": "https://schema.org/Residence", "n": 3,
  "containsPlace": {"@type": "Residence", "n": 99}}}]}</script>
<script type="application/ld+json">{"@type": "Residence" "n": 4}</script>
<script type="application/json">{"@type": "Residence", "n": 5}</script>
</head><body></body></html>)", "http://x.test/search");
  JsonScan scan = json_ld_cards(doc, {"residence"});
  CHECK(scan.blocks == 4);
  REQUIRE(scan.problems.size() == 1);
  CHECK_THAT(scan.problems[0], Catch::StartsWith("JSON-LD block #4: invalid JSON"));
  REQUIRE(scan.cards.size() == 3);  // a card's inner Residence (n 99) is part of it, not a card
  std::vector<std::int64_t> ns;
  for (const auto& c : scan.cards) ns.push_back(c.value->at("n").as_int64());
  CHECK(ns == std::vector<std::int64_t>{1, 2, 3});

  // Siblings: same block, same url once both are resolved against the page.
  const json::value* p1 = json_sibling(scan.cards[0], "Product", "url", doc.base_url());
  REQUIRE(p1);
  CHECK(p1->at("p") == 100);
  // The Product with url /h/2 sits in another block: the card of block 2 does not see it.
  CHECK(json_sibling(scan.cards[1], "Product", "url", doc.base_url()) == nullptr);
  const json::value* offer = json_sibling(scan.cards[1], "Offer", "sku", doc.base_url());
  REQUIRE(offer);
  CHECK(offer->at("p") == 250);
  CHECK(json_sibling(scan.cards[2], "Product", "url", doc.base_url()) == nullptr);  // no url on the card

  // Fields read through the site-file forms.
  FieldSpec price;
  price.name = "price";
  price.json.push_back({JsonPath::compile("p"), "Product", "url"});
  CHECK(extract_json_field(scan.cards[0], price, doc.base_url()) == 100);
  CHECK(extract_json_field(scan.cards[1], price, doc.base_url()).is_null());  // never a neighbour's
  FieldSpec all;
  all.name = "n";
  all.all = true;
  all.json.push_back({JsonPath::compile("containsPlace.n")});
  all.json.push_back({JsonPath::compile("n")});
  CHECK(flowrun::to_json_text(extract_json_field(scan.cards[2], all, doc.base_url())) == "[99]");
  CHECK(flowrun::to_json_text(extract_json_field(scan.cards[0], all, doc.base_url())) == "[1]");
}

TEST_CASE("embedded JSON cards: script text or an attribute, a path to the list", "[json_cards]") {
  HtmlDocument doc(R"(<html><body>
<div id="app" data-props='{"homes": [{"id": "a"}, {"id": "b"}, null]}'></div>
<script id="__NEXT_DATA__" type="application/json">{"props": {"searchData": {"homes": [{"id": "c"}]}}}</script>
</body></html>)", "http://x.test/");
  JsonScan a = embedded_json_cards(doc, Selector::compile("#app@data-props"), JsonPath::compile("homes[*]"));
  REQUIRE(a.cards.size() == 2);  // null is no card
  CHECK(a.cards[1].value->at("id") == "b");
  JsonScan n = embedded_json_cards(doc, Selector::compile("script#__NEXT_DATA__"), JsonPath::compile("props.searchData.homes[*]"));
  REQUIRE(n.cards.size() == 1);
  CHECK(n.cards[0].value->at("id") == "c");
  JsonScan whole = embedded_json_cards(doc, Selector::compile("script#__NEXT_DATA__"), JsonPath());
  REQUIRE(whole.cards.size() == 1);
  CHECK(whole.cards[0].value->is_object());
  CHECK(embedded_json_cards(doc, Selector::compile("script#missing"), JsonPath()).blocks == 0);
}
