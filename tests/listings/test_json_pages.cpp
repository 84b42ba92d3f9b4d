// Listing pages whose data is JSON (issue 21), end to end over real loopback HTTP: the listing
// fixture's JSON-LD page (siblings, @graph, an ItemList, escapes, a broken block, relative URLs,
// missing keys) and its Next.js-style rentals payload (ranges, monthly rents, a listing without an
// address), through html_listings, the normaliser and the validator, with exact expected records.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "engine/json_text.hpp"
#include "engine/pipeline.hpp"
#include "listing_site.hpp"
#include "nodes/file/register.hpp"
#include "nodes/listings/html_listings_node.hpp"
#include "nodes/listings/register.hpp"
#include "nodes/normalizer/register.hpp"
#include "nodes/validator/register.hpp"
#include "test_support.hpp"
#include "tests/shared/run_checks.hpp"

using namespace listings_test;
using flowrun::fixtures::ListingSiteServer;
using flowrun::listings::HtmlListingsSource;
namespace json = boost::json;

namespace {

std::string site(const std::string& name) { return source_dir() + "/pipelines/sites/" + name; }

std::string text(const json::value* v) { return v ? flowrun::to_json_text(*v) : "<absent>"; }

const json::value* at_path(const json::object& o, const std::string& dotted) {
  const json::object* cur = &o;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = dotted.find('.', start);
    const json::value* v = cur->if_contains(dotted.substr(start, dot == std::string::npos ? dot : dot - start));
    if (!v || dot == std::string::npos) return v;
    if (!v->is_object()) return nullptr;
    cur = &v->get_object();
    start = dot + 1;
  }
}

// Checks every field of `expected` (dotted keys, "{base}" standing for the fixture's URL) and that
// each of `must_be_null` not in it is null: an exact record, not "contains".
void check_record(const json::object& got, const std::string& expected, const std::string& base,
                  const std::vector<std::string>& must_be_null) {
  std::string e = expected;
  for (std::size_t p = e.find("{base}"); p != std::string::npos; p = e.find("{base}")) e.replace(p, 6, base);
  json::object want = json::parse(e).as_object();
  for (const auto& kv : want) {
    INFO("field " << kv.key());
    CHECK(text(at_path(got, kv.key())) == flowrun::to_json_text(kv.value()));
  }
  for (const auto& f : must_be_null) {
    if (want.contains(f)) continue;
    INFO("field " << f << " should be null");
    const json::value* v = at_path(got, f);
    REQUIRE(v);
    CHECK(v->is_null());
  }
}

const std::vector<std::string> kCanonical = {
    "listing_type", "price", "price_min", "price_max", "rent", "rent_min", "rent_max", "beds", "beds_min",
    "beds_max", "baths", "baths_min", "baths_max", "sqft", "sqft_min", "sqft_max", "price_per_sqft",
    "year_built", "lot_sqft", "property_type", "address.unit", "address.zip4"};

struct Scrape {
  Collector out;
  HtmlListingsSource::Stats stats;
  std::vector<std::string> warnings;
};

void scrape(const ListingSiteServer& server, const std::string& site_file, const std::string& zips, Scrape& s,
            const std::string& extra = "") {
  TestRun t;
  auto src = make_source<HtmlListingsSource>(flowrun::listings::html_listings_descriptor(), "listings",
                                             "{site: '" + site_file + "', zips: " + zips + ", base_url: '" +
                                                 server.base_url() + "', delay: 0s" + extra + "}");
  src->open(t.ctx);
  src->run(t.ctx, s.out);
  s.stats = src->stats();
  s.warnings = t.ctx.warnings();
}

std::vector<std::string> rule_list(const json::object& rec, const char* key) {
  std::vector<std::string> out;
  if (const json::value* w = rec.if_contains(key))
    for (const auto& f : w->as_array())
      out.push_back(std::string(f.at("field").as_string()) + ":" + std::string(f.at("rule").as_string()));
  return out;
}

std::vector<json::object> read_jsonl(const std::filesystem::path& p) {
  std::vector<json::object> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line).as_object());
  return out;
}

flowrun::Registry registry() {
  flowrun::Registry r;
  flowrun::register_listings_nodes(r);
  flowrun::register_file_nodes(r);
  flowrun::register_normalizer_nodes(r);
  flowrun::register_validator_nodes(r);
  return r;
}

}  // namespace

TEST_CASE("JSON-LD cards: siblings by url, @graph, ItemList, escapes decoded, URLs absolute", "[json_pages][e2e]") {
  ListingSiteServer server;
  server.start();
  Scrape s;
  scrape(server, site("ld_homes.yaml"), "['85031']", s);
  auto& recs = s.out.out();
  REQUIRE(recs.size() == 4);
  CHECK(s.stats.json_invalid == 1);  // the broken block, counted, and the page's other blocks kept
  CHECK(s.warnings.empty());
  const std::string b = server.base_url();
  const char* fields[] = {"url", "title", "address", "city", "state", "postal_code", "beds", "baths", "sqft",
                          "year_built", "price"};
  auto raw = [&](const flowrun::Record& r) {
    std::string out;
    for (const char* f : fields) out += std::string(f) + "=" + text(r.data.if_contains(f)) + " ";
    return out;
  };
  CHECK(raw(recs[0]) == "url=\"" + b + "/homes/ld-1\" title=\"Move-in ready \\\"ranch\\\" \xE2\x80\x94 4 bd\" "
                        "address=\"3011 N 55th Ave\" city=\"Phoenix\" state=\"AZ\" postal_code=\"85031\" beds=4 baths=2 "
                        "sqft=1945 year_built=1979 price=389000 ");
  // "\/homes\/ld-2", "\u0023", "\u00e9", "\\" decoded; the Product's offers are a list.
  CHECK(raw(recs[1]) == "url=\"" + b + "/homes/ld-2\" title=\"Caf\xC3\xA9 & pool \\\\ \\\"Casa Sol\\\"\" "
                        "address=\"4220 W Osborn Rd #102\" city=\"PHOENIX\" state=\"Arizona\" postal_code=\"85031-1234\" "
                        "beds=\"3\" baths=2.5 sqft=\"1,420\" year_built=null price=\"425000.00\" ");
  // No floor size and no Product of its own: null, never the neighbour's price.
  CHECK(raw(recs[2]) == "url=\"" + b + "/homes/ld-3\" title=null address=\"6310 W Campbell Ave\" city=\"Phoenix\" "
                        "state=\"AZ\" postal_code=\"85033\" beds=3 baths=null sqft=null year_built=null price=null ");
  CHECK(raw(recs[3]) == "url=\"https://elsewhere.example/apartments/ld-4\" title=null address=\"5102 W Indian School Rd\" "
                        "city=\"Phoenix\" state=\"AZ\" postal_code=\"85031\" beds=\"0-2\" baths=null sqft=\"529-1,225\" "
                        "year_built=null price=\"$3,834 - $4,002/mo\" ");
  CHECK(recs[2].data.at("selector_failed").as_array().size() == 5);
  CHECK(recs[0].env.source_id == b + "/homes/ld-1");
  CHECK_THAT(std::string(recs[0].data.at("text").as_string()), Catch::Contains("\"numberOfRooms\":4"));
}

TEST_CASE("embedded JSON cards: a __NEXT_DATA__ homes array over pages, until a page has none", "[json_pages][e2e]") {
  ListingSiteServer server;
  server.start();
  Scrape s;
  scrape(server, site("next_rentals.yaml"), "['85031']", s);
  auto& recs = s.out.out();
  REQUIRE(recs.size() == 5);
  CHECK(s.stats.pages == 3);  // the third page's list is empty: paging stops
  CHECK(server.requests("/rentals/search") == 3);
  CHECK(s.warnings.empty());
  const std::string b = server.base_url();
  CHECK(recs[0].data.at("listing_type") == "rent");  // stated by the site file for every card
  CHECK(recs[0].data.at("title") == "Caf\xC3\xA9 \"Lofts\"");
  CHECK(recs[1].data.at("url").as_string() == b + "/rentals/r-2");  // "r-2", relative to /rentals/search
  CHECK(recs[1].data.at("beds").is_null());
  CHECK(recs[1].data.at("beds_min") == 2);
  CHECK(recs[2].data.at("price") == 1450);  // a JSON number stays one
  CHECK(recs[2].data.at("sqft").is_null());
  CHECK(recs[3].data.at("title") == "Maryvale </script> Place");
  CHECK(recs[3].data.at("page") == 2);
  CHECK(recs[4].data.at("address").is_null());
}

TEST_CASE("a source that finds no cards warns, and fails the run with fail_on_empty", "[json_pages][e2e][empty]") {
  ListingSiteServer server;
  server.start();
  Scrape s;
  scrape(server, site("ld_homes.yaml"), "['85033']", s);
  CHECK(s.out.out().empty());
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0] == "listings: no cards (json_ld [SingleFamilyResidence, Apartment]) on 1 page(s) of site 'ld_homes'");

  // Cards whose every field is null: the symptom of a site file that does not fit the page.
  TempDir dir;
  std::string wrong = dir.write("wrong.yaml", "start_urls: '{base_url}/rentals/search?zip={zip}'\n"
                                              "cards: {json: 'script#__NEXT_DATA__', path: 'props.searchData.homes[*]'}\n"
                                              "fields:\n  address: {json: streetAddress}\n  price: {json: offers.price}\n");
  Scrape w;
  scrape(server, wrong, "['85031']", w);
  CHECK(w.out.out().size() == 3);  // page 1 only: each record carries the card's text for the LLM
  REQUIRE(w.warnings.size() == 1);
  CHECK_THAT(w.warnings[0], Catch::Contains("none of the 3 cards of site 'wrong' gave a value for any field"));

  // A field that finds nothing anywhere is named.
  std::string half = dir.write("half.yaml", "start_urls: '{base_url}/rentals/search?zip={zip}'\nlimits: {max_pages: 1}\n"
                                            "cards: {json: 'script#__NEXT_DATA__', path: 'props.searchData.homes[*]'}\n"
                                            "fields:\n  address: {json: address.line}\n  lot: {json: lotSize}\n");
  Scrape h;
  scrape(server, half, "['85031']", h);
  REQUIRE(h.warnings.size() == 1);
  CHECK(h.warnings[0] == "listings: field(s) 'lot' of site 'half' found nothing on any of the 3 cards");

  // In a pipeline run: the summary carries the warning; fail_on_empty fails the run.
  auto reg = registry();
  auto run = [&](const std::string& extra) {
    std::string yaml = "name: empty\nnodes:\n  ld: {type: html_listings, site: '" + site("ld_homes.yaml") +
                       "', zips: ['85033'], base_url: '" + server.base_url() + "', delay: 0s" + extra +
                       "}\n  sink: {type: jsonl, inputs: [ld], path: '" + (dir.path / "out.jsonl").string() + "'}\n";
    auto loaded = flowrun::load_pipeline_string(yaml, (dir.path / "p.yaml").string(), reg);
    REQUIRE(loaded.ok());
    return flowrun::testing::run_checked(loaded.graph, reg);
  };
  auto quiet = run("");
  CHECK(quiet.exit_code == 0);
  REQUIRE(quiet.warnings.size() == 1);
  CHECK_THAT(quiet.warnings[0], Catch::StartsWith("ld: no cards"));
  auto strict = run(", fail_on_empty: true");
  CHECK(strict.exit_code == 1);
  for (const auto& n : strict.nodes)
    if (n.id == "ld") CHECK_THAT(n.stopped_reason, Catch::Contains("gave no usable record (fail_on_empty)"));
}

TEST_CASE("JSON pages through normaliser and validator: exact records, ranges and rents kept", "[json_pages][e2e][pipeline]") {
  ListingSiteServer server;
  server.start();
  TempDir dir;
  const std::string b = server.base_url();
  const std::string mapping = source_dir() + "/pipelines/mappings/html_listing.yaml";
  std::string yaml = "name: json_pages\nnodes:\n"
                     "  ld: {type: html_listings, site: '" + site("ld_homes.yaml") + "', zips: ['85031'], base_url: '" + b +
                     "', delay: 0s}\n"
                     "  rentals: {type: html_listings, site: '" + site("next_rentals.yaml") + "', zips: ['85031'], base_url: '" +
                     b + "', delay: 0s}\n"
                     "  normalize: {type: normalizer, inputs: [ld, rentals], mappings: {ld: '" + mapping + "', rentals: '" +
                     mapping + "'}}\n"
                     "  validate: {type: validator, inputs: [normalize], rules: '" + source_dir() +
                     "/pipelines/rules/property.yaml'}\n"
                     "  good: {type: jsonl, inputs: [validate], path: '" + (dir.path / "good.jsonl").string() + "'}\n"
                     "  rejected: {type: jsonl, inputs: [validate.rejected], path: '" + (dir.path / "rejected.jsonl").string() + "'}\n"
                     "  broken: {type: jsonl, inputs: [normalize.errors], path: '" + (dir.path / "errors.jsonl").string() +
                     "', envelope: true}\n";
  auto reg = registry();
  auto loaded = flowrun::load_pipeline_string(yaml, (dir.path / "p.yaml").string(), reg);
  for (const auto& d : loaded.diagnostics.all()) UNSCOPED_INFO(d.str());
  REQUIRE(loaded.ok());
  auto summary = flowrun::testing::run_checked(loaded.graph, reg);
  CHECK(summary.exit_code == 0);
  CHECK(summary.warnings.empty());

  auto good = read_jsonl(dir.path / "good.jsonl");
  auto errors = read_jsonl(dir.path / "errors.jsonl");
  CHECK(read_jsonl(dir.path / "rejected.jsonl").empty());
  REQUIRE(good.size() == 8);
  REQUIRE(errors.size() == 1);  // R-5 has no address: dead-lettered with the reason
  CHECK(errors[0].at("_meta").at("error").at("field") == "address");
  CHECK_THAT(std::string(errors[0].at("_meta").at("error").at("message").as_string()), Catch::Contains("address is empty"));
  CHECK(errors[0].at("listing_id") == "R-5");

  std::map<std::string, json::object> by_url;
  for (auto& g : good) by_url[std::string(g.at("attributes").at("url").as_string())] = g;
  struct Expect {
    std::string url, fields;
    std::vector<std::string> warnings;
  };
  const Expect expect[] = {
      {b + "/homes/ld-1",
       R"({"source": "ld", "address.street": "3011 N 55th Ave", "address.city": "Phoenix", "address.state": "AZ",
           "address.zip": "85031", "price": 389000, "price_min": 389000, "price_max": 389000, "beds": 4, "beds_min": 4,
           "beds_max": 4, "baths": 2, "baths_min": 2, "baths_max": 2, "sqft": 1945, "sqft_min": 1945, "sqft_max": 1945,
           "price_per_sqft": 200, "year_built": 1979, "attributes.search_zip": "85031"})",
       {}},
      // escapes decoded, "#102" a unit, the +4 kept apart, "PHOENIX"/"Arizona" normalised
      {b + "/homes/ld-2",
       R"({"address.street": "4220 W Osborn Rd", "address.unit": "102", "address.city": "Phoenix", "address.state": "AZ",
           "address.zip": "85031", "address.zip4": "1234", "price": 425000, "price_min": 425000, "price_max": 425000,
           "beds": 3, "beds_min": 3, "beds_max": 3, "baths": 2.5, "baths_min": 2.5, "baths_max": 2.5, "sqft": 1420,
           "sqft_min": 1420, "sqft_max": 1420, "price_per_sqft": 299.3})",
       {}},
      // the home's own ZIP, not the one searched for; no price of its own
      {b + "/homes/ld-3",
       R"({"address.street": "6310 W Campbell Ave", "address.zip": "85033", "attributes.search_zip": "85031",
           "beds": 3, "beds_min": 3, "beds_max": 3})",
       {"price:required"}},
      // a monthly range on a page of homes: a rental, ranges kept
      {"https://elsewhere.example/apartments/ld-4",
       R"({"address.street": "5102 W Indian School Rd", "address.zip": "85031", "listing_type": "rent",
           "rent_min": 3834, "rent_max": 4002, "beds_min": 0, "beds_max": 2, "sqft_min": 529, "sqft_max": 1225})",
       {"rent:required"}},
      {b + "/rentals/r-1",
       R"({"source": "rentals", "source_id": "R-1", "address.street": "5110 W Thomas Rd", "address.zip": "85031",
           "listing_type": "rent", "rent_min": 3834, "rent_max": 4002, "beds_min": 0, "beds_max": 2, "baths_min": 1,
           "baths_max": 2, "sqft_min": 476, "sqft_max": 498})",
       {"rent:required"}},
      // bedrooms {min: 2, max: 2} is an exact 2; a rent gives no price per square foot
      {b + "/rentals/r-2",
       R"({"source_id": "R-2", "address.street": "4410 W Encanto Blvd", "listing_type": "rent", "rent": 1850,
           "rent_min": 1850, "rent_max": 1850, "beds": 2, "beds_min": 2, "beds_max": 2, "baths": 2, "baths_min": 2,
           "baths_max": 2, "sqft": 1020, "sqft_min": 1020, "sqft_max": 1020})",
       {}},
      // a bare 1450 on a site whose listing_type is rent: a rent, never a sale price
      {b + "/rentals/r-3",
       R"({"source_id": "R-3", "address.street": "3907 N 43rd Ave", "listing_type": "rent", "rent": 1450,
           "rent_min": 1450, "rent_max": 1450, "beds_min": 1, "beds_max": 3, "baths": 1, "baths_min": 1, "baths_max": 1})",
       {}},
      {b + "/rentals/r-4",
       R"({"source_id": "R-4", "address.street": "6020 W Roosevelt St", "listing_type": "rent", "rent": 2100,
           "rent_min": 2100, "rent_max": 2100, "beds_min": 0, "beds_max": 2, "baths": 1, "baths_min": 1, "baths_max": 1,
           "sqft_min": 529, "sqft_max": 1225})",
       {}},
  };
  for (const auto& e : expect) {
    INFO("listing " << e.url);
    REQUIRE(by_url.count(e.url));
    const json::object& rec = by_url[e.url];
    check_record(rec, e.fields, b, kCanonical);
    CHECK(rule_list(rec, "warnings") == e.warnings);
    CHECK(rec.at("price").is_null() == (rec.at("listing_type") == "rent" || !rec.at("price_min").is_number() ||
                                        rec.at("price_min") != rec.at("price_max")));
  }
}
