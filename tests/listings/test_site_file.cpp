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

TEST_CASE("shipped JSON site files load", "[site][json]") {
  SiteSpec ld = load_site_file(listings_test::source_dir() + "/pipelines/sites/ld_homes.yaml");
  CHECK(ld.card.kind == CardSpec::Kind::json_ld);
  CHECK(ld.card.types == std::vector<std::string>{"SingleFamilyResidence", "Apartment"});
  CHECK(ld.card.describe() == "json_ld [SingleFamilyResidence, Apartment]");
  SiteSpec next = load_site_file(listings_test::source_dir() + "/pipelines/sites/next_rentals.yaml");
  CHECK(next.card.kind == CardSpec::Kind::json);
  CHECK(next.card.path.source() == "props.searchData.homes[*]");
  CHECK(next.listing_type == "rent");
}

TEST_CASE("JSON card and field forms", "[site][json]") {
  SiteSpec s = parse_site_yaml(R"(
start_urls: /s
cards: {json_ld: Product}
fields:
  url: {json: url}
  price: [{json: offers.price, sibling: Offer}, {json: "offers[0].price", sibling: Offer, match: "@id"}]
  photos: {json: "image[*]", all: true}
detail:
  link: {json: url}
  fields: {mls: .mls}
listing_type: sale
)", "t.yaml");
  CHECK(s.card.types == std::vector<std::string>{"Product"});
  REQUIRE(s.fields.size() == 3);
  REQUIRE(s.fields[1].json.size() == 2);
  CHECK(s.fields[1].json[0].sibling == "Offer");
  CHECK(s.fields[1].json[0].match == "url");
  CHECK(s.fields[1].json[1].match == "@id");
  CHECK(s.fields[2].all);
  REQUIRE(s.detail);
  CHECK(s.detail->json_link.has_value());
  CHECK(s.detail->fields[0].selectors.size() == 1);  // detail pages are HTML
  CHECK(s.listing_type == "sale");
  SiteSpec e = parse_site_yaml("start_urls: /s\ncards: {json: '#app@data-props', path: 'homes[*]'}\nfields: {a: {json: id}}\n", "t.yaml");
  CHECK(e.card.selector.attr() == "data-props");
}

TEST_CASE("JSON site-file errors carry file:line:column", "[site][json]") {
  CHECK_THAT(error_of("start_urls: [a]\ncards: {json_ld: [Product]}\nfields:\n  price: offers.price\n"),
             Catch::StartsWith("sites/bad.yaml:4:10: field 'fields.price': with json_ld [Product] cards a field reads the card's JSON") &&
                 Catch::Contains("did you mean {json: offers.price}?"));
  CHECK_THAT(error_of("start_urls: [a]\ncard: .c\nfields:\n  price: {json: offers.price}\n"),
             Catch::StartsWith("sites/bad.yaml:4:10:") && Catch::Contains("reads JSON cards"));
  CHECK_THAT(error_of("start_urls: [a]\ncards: {json_ld: [P]}\nfields:\n  price: {json: \"offers[x].price\"}\n"),
             Catch::StartsWith("sites/bad.yaml:4:25:") && Catch::Contains("bad JSON path"));
  CHECK_THAT(error_of("start_urls: [a]\ncards: {json: script, path: a..b}\nfields: {a: {json: x}}\n"),
             Catch::StartsWith("sites/bad.yaml:2:31:") && Catch::Contains("'cards.path': bad JSON path: key expected"));
  CHECK_THAT(error_of("start_urls: [a]\ncards: {json: script}\nfields: {a: {json: x, sibling: Offer}}\n"),
             Catch::StartsWith("sites/bad.yaml:3:") && Catch::Contains("needs JSON-LD cards"));
  CHECK_THAT(error_of("start_urls: [a]\ncard: .c\ncards: {json_ld: [P]}\nfields: {a: .b}\n"),
             Catch::StartsWith("sites/bad.yaml:3:8:") && Catch::Contains("not both"));
  CHECK_THAT(error_of("start_urls: [a]\ncards: {jsonld: [P]}\nfields: {a: {json: x}}\n"),
             Catch::StartsWith("sites/bad.yaml:2:9: unknown key 'jsonld' (did you mean 'json_ld'?)"));
  CHECK_THAT(error_of("start_urls: [a]\ncards: {json_ld: []}\nfields: {a: {json: x}}\n"),
             Catch::Contains("at least one @type"));
  CHECK_THAT(error_of("start_urls: [a]\ncards: .c\nfields: {a: {json: x}}\n"),
             Catch::StartsWith("sites/bad.yaml:2:8:") && Catch::Contains("use 'card' for HTML elements"));
  CHECK_THAT(error_of("start_urls: [a]\ncard: .c\nfields: {a: .b}\nlisting_type: lease\n"),
             Catch::StartsWith("sites/bad.yaml:4:15:") && Catch::Contains("sale or rent"));
  CHECK_THAT(error_of("start_urls: [a]\ncards: {json_ld: [P]}\nfields: {a: {json: x}}\ndetail: {link: a@href, fields: {b: .b}}\n"),
             Catch::StartsWith("sites/bad.yaml:4:16:") && Catch::Contains("{json: PATH}"));
}

TEST_CASE("every error of a site file is reported, for flowrun check, without throwing", "[site][check]") {
  flowrun::Diagnostics d;
  auto spec = parse_site_yaml(R"(name: many
start_urls: ["/s?zip={zipcode}"]
cards: {json_ld: [Product]}
fields:
  url: {json: url}
  price: offers.price
  beds: {json: "rooms["}
  baths: {json: baths, sibling: Offer, mach: url}
next_pgae: a
limits: {max_pages: -1}
delay: soon
)", "sites/many.yaml", d);
  CHECK_FALSE(spec.has_value());
  std::vector<std::string> got;
  for (const auto& x : d.all()) got.push_back(x.str());
  CHECK(got == std::vector<std::string>{
                   "sites/many.yaml:9:1: error: unknown key 'next_pgae' (did you mean 'next_page'?)",
                   "sites/many.yaml:2:14: error: unknown placeholder '{zipcode}' in start URL (known: {zip}, {base_url})",
                   "sites/many.yaml:6:10: error: field 'fields.price': with json_ld [Product] cards a field reads the card's "
                   "JSON: {json: PATH} (did you mean {json: offers.price}?)",
                   "sites/many.yaml:7:23: error: 'fields.beds.json': bad JSON path: [N] (an index), [*] or [\"key\"] expected",
                   "sites/many.yaml:8:40: error: unknown key 'mach' (did you mean 'match'?)",
                   "sites/many.yaml:10:21: error: 'limits.max_pages' must be >= 0",
                   "sites/many.yaml:11:8: error: 'delay' must be a duration like 1s or 500ms",
               });

  flowrun::Diagnostics ok;
  CHECK(load_site_file(listings_test::source_dir() + "/pipelines/sites/ld_homes.yaml", ok).has_value());
  CHECK(ok.all().empty());
  flowrun::Diagnostics missing;
  CHECK_FALSE(load_site_file("/nonexistent/site.yaml", missing).has_value());
  REQUIRE(missing.all().size() == 1);
  CHECK_THAT(missing.all()[0].str(), Catch::Contains("/nonexistent/site.yaml") && Catch::Contains("cannot read"));
}
