#include <catch2/catch.hpp>

#include "nodes/listings/site_file.hpp"
#include "test_support.hpp"

using namespace flowrun::listings;

namespace {
// The error for a site file, checked for its file:line:column prefix.
std::string error_of(const std::string& yaml) {
  try {
    parse_site_yaml(yaml, "sites/bad.yaml");
  } catch (const SiteFileError& e) {
    return e.what();
  }
  return "<no error>";
}
}  // namespace

TEST_CASE("shipped site files load", "[site]") {
  for (const char* name : {"example_realty.yaml", "grid_homes.yaml"}) {
    INFO(name);
    SiteSpec s = load_site_file(listings_test::source_dir() + "/pipelines/sites/" + name);
    CHECK_FALSE(s.fields.empty());
    CHECK(s.uses_zip());
  }
  SiteSpec s = load_site_file(listings_test::source_dir() + "/pipelines/sites/example_realty.yaml");
  CHECK(s.name == "example_realty");
  CHECK(s.next_page.has_value());
  REQUIRE(s.detail.has_value());
  CHECK(s.detail->fields.size() == 7);
  CHECK(s.max_pages == 10);
  CHECK(s.delay == std::chrono::milliseconds(1000));
  CHECK(expand_start_url(s, s.start_urls[0], "85031") == "http://127.0.0.1:8082/search?zip=85031");
}

TEST_CASE("field forms: string, attr suffix, map, list of fallbacks, label only", "[site]") {
  SiteSpec s = parse_site_yaml(R"(
name: t
start_urls: /search?zip={zip}
base_url: http://h.test/base/
card: .card
fields:
  a: .price
  b: a@href
  c: {selector: img, attr: src}
  d: [.missing, .price]
  e: {label: Beds}
  f: {xpath: ".//dd", all: true}
page_param: p
first_page: 0
)", "t.yaml");
  REQUIRE(s.fields.size() == 6);
  CHECK(s.fields[1].selectors[0].attr() == "href");
  CHECK(s.fields[2].selectors[0].attr() == "src");
  CHECK(s.fields[3].selectors.size() == 2);
  CHECK(s.fields[4].label == "Beds");
  CHECK(s.fields[5].all);
  CHECK(s.page_param == "p");
  CHECK(s.first_page == 0);
  CHECK(expand_start_url(s, s.start_urls[0], "85033") == "http://h.test/search?zip=85033");
}

TEST_CASE("site file errors carry file:line:column", "[site]") {
  CHECK_THAT(error_of("name: x\nstart_urls: [a]\ncard: .c\nfields: {a: .b}\nnext_pgae: a\n"),
             Catch::StartsWith("sites/bad.yaml:5:1: unknown key 'next_pgae' (did you mean 'next_page'?)"));
  CHECK_THAT(error_of("name: x\nstart_urls: [a]\nfields: {a: .b}\n"),
             Catch::StartsWith("sites/bad.yaml:1:1: missing required key 'card'"));
  CHECK_THAT(error_of("start_urls: [a]\ncard: .c\nfields:\n  price: div >\n"),
             Catch::StartsWith("sites/bad.yaml:4:") && Catch::Contains("'fields.price'") && Catch::Contains("bad selector"));
  CHECK_THAT(error_of("start_urls: [a]\ncard: .c\nfields:\n  price: \"xpath://div[\"\n"),
             Catch::StartsWith("sites/bad.yaml:4:10:") && Catch::Contains("bad XPath"));
  CHECK_THAT(error_of("start_urls: [\"/s?zip={zipcode}\"]\ncard: .c\nfields: {a: .b}\n"),
             Catch::StartsWith("sites/bad.yaml:1:14:") && Catch::Contains("{zipcode}"));
  CHECK_THAT(error_of("start_urls: [a]\ncard: .c\nfields: {a: .b}\nlimits: {max_pages: -1}\n"),
             Catch::StartsWith("sites/bad.yaml:4:21:") && Catch::Contains("max_pages"));
  CHECK_THAT(error_of("start_urls: [a]\ncard: .c\nfields: {a: .b}\ndelay: soon\n"),
             Catch::StartsWith("sites/bad.yaml:4:8:") && Catch::Contains("duration"));
  CHECK_THAT(error_of("start_urls: [a]\ncard: .c\nfields:\n  a: {lable: x}\n"),
             Catch::StartsWith("sites/bad.yaml:4:7:") && Catch::Contains("did you mean 'label'"));
  CHECK_THAT(error_of("start_urls: [a]\ncard: .c\nfields: {a: .b}\nnext_page: a@href\npage_param: page\n"),
             Catch::StartsWith("sites/bad.yaml:5:") && Catch::Contains("not both"));
  CHECK_THAT(error_of("start_urls: [a\ncard: .c\n"), Catch::StartsWith("sites/bad.yaml:") && Catch::Contains("invalid YAML"));
  CHECK_THAT(error_of("- a\n- b\n"), Catch::Contains("must be a YAML map"));
}

TEST_CASE("a missing site file is a clear error", "[site]") {
  CHECK_THROWS_WITH(load_site_file("/nonexistent/site.yaml"), Catch::Contains("/nonexistent/site.yaml") && Catch::Contains("cannot read"));
}
