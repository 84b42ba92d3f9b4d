#include <catch2/catch.hpp>

#include "nodes/listings/html_select.hpp"
#include "nodes/listings/site_file.hpp"
#include "test_support.hpp"

using namespace flowrun::listings;
using listings_test::fixture_path;
using listings_test::read_file;

namespace {
std::vector<std::string> texts(const HtmlDocument& doc, const std::string& sel, xmlNodePtr scope = nullptr) {
  return doc.values(Selector::compile(sel), scope);
}
std::string first(const HtmlDocument& doc, const std::string& sel, xmlNodePtr scope = nullptr) {
  return doc.value(Selector::compile(sel), scope).value_or("<none>");
}
}  // namespace

TEST_CASE("css_to_xpath compiles the supported subset", "[selectors]") {
  CHECK(css_to_xpath("div") == "descendant::div");
  CHECK(css_to_xpath("*") == "descendant::*");
  CHECK(css_to_xpath("#main") == "descendant::*[@id='main']");
  CHECK(css_to_xpath(".price") == "descendant::*[contains(concat(' ', normalize-space(@class), ' '), ' price ')]");
  CHECK(css_to_xpath("[data-listing-id]") == "descendant::*[@data-listing-id]");
  CHECK(css_to_xpath("a[rel=next]") == "descendant::a[@rel='next']");
  CHECK(css_to_xpath("a[rel=\"next\"]") == "descendant::a[@rel='next']");
  CHECK(css_to_xpath("ul > li") == "descendant::ul/child::li");
  CHECK(css_to_xpath("ul li") == "descendant::ul/descendant::li");
  CHECK(css_to_xpath("h2 + p") == "descendant::h2/following-sibling::*[1][self::p]");
  CHECK(css_to_xpath("a, b") == "descendant::a | descendant::b");
  CHECK(css_to_xpath("DIV.Card") == "descendant::div[contains(concat(' ', normalize-space(@class), ' '), ' Card ')]");
  CHECK(css_to_xpath("li:nth-child(2)") == "descendant::li[count(preceding-sibling::*) = 1]");
  CHECK(css_to_xpath("[title=\"it's\"]") == "descendant::*[@title=\"it's\"]");
}

TEST_CASE("xpath_literal handles both quote kinds", "[selectors]") {
  CHECK(xpath_literal("abc") == "'abc'");
  CHECK(xpath_literal("it's") == "\"it's\"");
  CHECK(xpath_literal("a'b\"c") == "concat('a', \"'\", 'b\"c')");
}

TEST_CASE("bad selectors are rejected with a position", "[selectors]") {
  CHECK_THROWS_AS(css_to_xpath(""), SelectorError);
  CHECK_THROWS_AS(css_to_xpath("div >"), SelectorError);
  CHECK_THROWS_AS(css_to_xpath("a[href"), SelectorError);
  CHECK_THROWS_AS(css_to_xpath("a,"), SelectorError);
  CHECK_THROWS_AS(css_to_xpath("li:hover"), SelectorError);
  CHECK_THROWS_AS(css_to_xpath(":first-of-type"), SelectorError);
  CHECK_THROWS_AS(Selector::compile("xpath://div[@class="), SelectorError);
  try {
    css_to_xpath("div.price ! span");
    FAIL("no throw");
  } catch (const SelectorError& e) {
    CHECK(e.offset == 10);
    CHECK_THAT(e.what(), Catch::Contains("character 11"));
  }
}

TEST_CASE("selectors pick the right nodes from messy real-world HTML", "[selectors]") {
  HtmlDocument doc(read_file(fixture_path("messy_soup.html")), "https://homes.example.test/az/search?zip=85007");
  auto cards = doc.select(Selector::compile(".property-card"));
  // The card inside <script> and the one in a comment are not cards.
  REQUIRE(cards.size() == 3);
  CHECK(doc.base_url() == "https://homes.example.test/az/");

  SECTION("text is decoded and collapsed; inline spans glue, blocks separate") {
    CHECK(first(doc, ".addr", cards[0]) == "1510 W Roosevelt St Unit B, Phoenix, AZ 85007");
    CHECK(first(doc, ".price", cards[0]) == "$389,900 Make an offer");
    CHECK(first(doc, ".desc", cards[0]) == "Smith & Sons built it \xe2\x80\x94 it's \"charming\" \xe2\x80\x94 really.");
    CHECK(first(doc, ".addr", cards[1]) == "4027 N 55TH AVE, PHOENIX, AZ 85031");
    CHECK(first(doc, "title") == "Phoenix Homes \xe2\x80\x93 Results");
  }
  SECTION("unclosed <li>s are still separate items") {
    CHECK(texts(doc, "ul.facts li", cards[0]) == std::vector<std::string>{"Bedrooms: 2", "Bathrooms: 1.75", "Sq. Ft.: 1,120"});
  }
  SECTION("attributes and relative URLs against <base href>") {
    CHECK(first(doc, "a.photo@href", cards[0]) == "https://homes.example.test/az/listing/a1.html");
    CHECK(first(doc, "a.photo@href", cards[1]) == "https://homes.example.test/az/listing/a2.html");
    CHECK(first(doc, "a@href", cards[2]) == "https://other.example.test/x?id=3&ref=list");
    CHECK(first(doc, "img@src", cards[0]) == "https://homes.example.test/az/a1.jpg");
    CHECK(first(doc, "@data-listing-id", cards[0]) == "A1");
    CHECK(first(doc, "a[rel~=next]@href") == "https://homes.example.test/az/?page=2");
  }
  SECTION("upper-case tags and attributes match lower-case selectors") {
    CHECK(first(doc, "div.sold@data-listing-id") == "A3");
    CHECK(doc.select(Selector::compile("table.layout td > div[data-listing-id]")).size() == 3);
  }
  SECTION("attribute operators") {
    CHECK(doc.select(Selector::compile("[data-listing-id^=A]")).size() == 3);
    CHECK(doc.select(Selector::compile("a[href$='.html']")).size() == 2);
    CHECK(doc.select(Selector::compile("a[href*=other]")).size() == 1);
    CHECK(doc.select(Selector::compile("[class|=property]")).size() == 3);  // "property-card ..." starts with "property-"
    CHECK(doc.select(Selector::compile("[class|=prop]")).empty());
  }
  SECTION("raw XPath, relative and absolute, and string results") {
    CHECK(first(doc, "xpath:.//dt[.='Baths']/following-sibling::dd[1]", cards[1]) == "2 full, 1 half");
    CHECK(first(doc, "//dl/dt[1]") == "Beds");
    CHECK(first(doc, "xpath:normalize-space(//span[@class='addr'][1])") == "1510 W Roosevelt St Unit B, Phoenix, AZ 85007");
    CHECK(first(doc, "xpath://div[@data-listing-id='A2']//a/@href") == "https://homes.example.test/az/listing/a2.html");
  }
  SECTION("pseudo-classes and sibling combinators") {
    CHECK(first(doc, "ul.facts li:first-child", cards[0]) == "Bedrooms: 2");
    CHECK(first(doc, "ul.facts li:last-child", cards[0]) == "Sq. Ft.: 1,120");
    CHECK(first(doc, "li:nth-of-type(2)", cards[0]) == "Bathrooms: 1.75");
    CHECK(first(doc, "dt + dd", cards[1]) == "3");
    CHECK(texts(doc, "dt ~ dd", cards[1]).size() == 2);
    CHECK(first(doc, "dt:contains('Baths') + dd", cards[1]) == "2 full, 1 half");
  }
  SECTION("no match gives nothing, not an empty string") {
    CHECK_FALSE(doc.value(Selector::compile(".nope"), cards[0]).has_value());
    CHECK_FALSE(doc.value(Selector::compile("a@data-missing"), cards[0]).has_value());
  }
}

TEST_CASE("labelled values: 'Bedrooms: 2' and <dt>Beds</dt><dd>3</dd>", "[selectors]") {
  HtmlDocument doc(read_file(fixture_path("messy_soup.html")), "https://homes.example.test/");
  auto cards = doc.select(Selector::compile(".property-card"));
  REQUIRE(cards.size() == 3);
  auto field = [](const std::string& label, const std::string& sel = "li, dt, th, td, dd, p, span, div") {
    FieldSpec f;
    f.name = "x";
    f.label = label;
    f.selectors.push_back(Selector::compile(sel));
    return f;
  };
  CHECK(extract_field(doc, cards[0], field("Bedrooms")).value == std::optional<std::string>("2"));
  CHECK(extract_field(doc, cards[0], field("Sq. Ft.")).value == std::optional<std::string>("1,120"));
  CHECK(extract_field(doc, cards[1], field("Baths")).value == std::optional<std::string>("2 full, 1 half"));
  CHECK(extract_field(doc, cards[1], field("beds")).value == std::optional<std::string>("3"));  // case-insensitive
  CHECK_FALSE(extract_field(doc, cards[1], field("Bed")).found());  // a label is a whole word
  CHECK_FALSE(extract_field(doc, cards[2], field("Bedrooms")).found());
}

TEST_CASE("pages that are empty or not HTML do not crash", "[selectors]") {
  HtmlDocument empty("", "http://x.test/");
  CHECK(empty.select(Selector::compile("div")).empty());
  CHECK(empty.text().empty());
  HtmlDocument garbage(std::string("\x00\xff\xfe<<<>>>&&&;;", 14), "http://x.test/");
  CHECK(garbage.select(Selector::compile("article")).empty());
  HtmlDocument json("{\"results\": [1,2,3]}", "http://x.test/");
  CHECK(json.select(Selector::compile(".listing")).empty());
}

TEST_CASE("resolve_url follows RFC 3986", "[selectors]") {
  CHECK(resolve_url("http://h.test/a/b?x=1", "?page=2") == "http://h.test/a/b?page=2");
  CHECK(resolve_url("http://h.test/a/b", "c") == "http://h.test/a/c");
  CHECK(resolve_url("http://h.test/a/b", "../c") == "http://h.test/c");
  CHECK(resolve_url("http://h.test/a/b", "/root") == "http://h.test/root");
  CHECK(resolve_url("http://h.test/a/b", "//cdn.test/x.jpg") == "http://cdn.test/x.jpg");
  CHECK(resolve_url("http://h.test/a/b", "  https://o.test/  ") == "https://o.test/");
}
