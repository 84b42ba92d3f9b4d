// html_listings against the listing fixture over real loopback HTTP.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "listing_site.hpp"
#include "nodes/listings/html_listings_node.hpp"
#include "test_support.hpp"

using namespace flowrun::listings;
using namespace listings_test;
using flowrun::fixtures::BlockMode;
using flowrun::fixtures::ListingSiteServer;

namespace {

std::string site_path(const std::string& name) { return source_dir() + "/pipelines/sites/" + name; }

// Fast, polite-enough settings for tests: no pacing, tiny back-offs, quick client retries.
std::string node_yaml(const ListingSiteServer& s, const std::string& site, const std::string& zips,
                      const std::string& extra = "") {
  return "{site: '" + site + "', zips: " + zips + ", base_url: '" + s.base_url() +
         "', delay: 0s, block_backoff: 10ms, retry_base_delay: 10ms, retry_max_delay: 50ms" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

struct Scrape {
  Collector out;
  HtmlListingsSource::Stats stats;
  std::string stopped;
};

void scrape(const std::string& yaml, Scrape& s) {
  TestRun t;
  auto src = make_source<HtmlListingsSource>(html_listings_descriptor(), "listings", yaml);
  src->open(t.ctx);
  src->run(t.ctx, s.out);
  s.stats = src->stats();
  s.stopped = src->stopped_reason();
}

const flowrun::Record* find_url(std::vector<flowrun::Record>& rs, const std::string& url) {
  for (auto& r : rs)
    if (r.data.at("url").as_string() == url) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("html_listings collects every card of every page, follows details, obeys robots.txt", "[html_listings][e2e]") {
  ListingSiteServer server;
  server.start();
  Scrape s;
  scrape(node_yaml(server, site_path("example_realty.yaml"), "['85031', '85033']"), s);
  auto& recs = s.out.out();

  // 10 listings per ZIP over 3 pages each, none lost.
  CHECK(recs.size() == 20);
  CHECK(s.stats.pages == 6);
  CHECK(server.requests("/search") == 6);
  CHECK(server.requests("/robots.txt") == 1);  // once per host
  // 8 followable detail pages per ZIP: the promo card has no link and the last one is private.
  CHECK(s.stats.detail_pages == 16);
  CHECK(server.requests("/listing/") == 16);
  CHECK(server.requests("/private/") == 0);
  CHECK(s.stats.robots_disallowed == 2);
  CHECK(s.stopped.empty());
  CHECK(s.out.errors().empty());

  SECTION("card and detail fields") {
    const auto listings = server.listings_for("85031");
    const auto& l = listings[0];
    const auto* r = find_url(recs, server.base_url() + "/listing/" + l.id);
    REQUIRE(r);
    CHECK(r->data.at("site").as_string() == "example_realty");
    CHECK(r->data.at("zip").as_string() == "85031");
    CHECK(r->data.at("address").as_string() == l.street + ", Phoenix, AZ 85031");
    CHECK(r->data.at("price").as_string() == l.price_text);  // "$" + "215,000" from two spans
    CHECK(r->data.at("beds").as_string() == l.beds);
    CHECK(r->data.at("baths").as_string() == l.baths);
    CHECK(r->data.at("sqft").as_string() == l.sqft + " sq ft");  // the detail page's value wins
    CHECK(r->data.at("lot").as_string() == l.lot);
    CHECK(r->data.at("year_built").as_string() == l.year);
    CHECK(r->data.at("mls_id").as_string() == l.mls);
    CHECK_THAT(std::string(r->data.at("description").as_string()),
               Catch::StartsWith("Charming & bright home \xe2\x80\x94 it's move-in ready near \""));
    CHECK_THAT(std::string(r->data.at("text").as_string()), Catch::Contains("Bedrooms: " + l.beds));
    CHECK_FALSE(r->data.contains("selector_failed"));
    CHECK(r->env.source == "listings");
    CHECK(r->env.source_id == std::string(r->data.at("url").as_string()));
  }
  SECTION("units and 'Price Upon Request' come through raw") {
    auto listings = server.listings_for("85033");
    CHECK(find_url(recs, server.base_url() + "/listing/" + listings[1].id)->data.at("price").as_string() == "Price Upon Request");
    CHECK_THAT(std::string(find_url(recs, server.base_url() + "/listing/" + listings[3].id)->data.at("address").as_string()),
               Catch::Contains("#102"));
  }
  SECTION("the robots-disallowed detail page: card kept, detail reported") {
    auto listings = server.listings_for("85031");
    const auto* r = find_url(recs, server.base_url() + "/private/listing/" + listings.back().id);
    REQUIRE(r);
    CHECK(r->data.at("detail_error").as_string() == "disallowed by robots.txt");
    CHECK(r->data.at("price").is_string());
  }
  SECTION("a card whose selectors all fail is still emitted with its text") {
    int promos = 0;
    for (auto& r : recs) {
      if (!r.data.contains("selector_failed")) continue;
      ++promos;
      auto& failed = r.data.at("selector_failed").as_array();
      CHECK(failed.size() == 6);
      CHECK_THAT(std::string(r.data.at("text").as_string()), Catch::StartsWith("Featured!"));
      CHECK_THAT(std::string(r.data.at("url").as_string()), Catch::Contains("#card-3"));
      CHECK(r.data.at("detail_error").as_string() == "no detail link in card");
    }
    CHECK(promos == 2);
  }
}

TEST_CASE("html_listings: a second page shape paged by page= without a next link", "[html_listings][e2e]") {
  ListingSiteServer server;
  server.start();
  Scrape s;
  scrape(node_yaml(server, site_path("grid_homes.yaml"), "['85035']"), s);
  auto& recs = s.out.out();
  REQUIRE(recs.size() == 10);
  CHECK(server.requests("/grid") == 4);  // pages 1-3 and the empty page 4 that ends paging
  auto l = server.listings_for("85035")[2];
  const auto* r = find_url(recs, server.base_url() + "/listing/" + l.id);
  REQUIRE(r);
  CHECK(r->data.at("beds").as_string() == l.beds + " bd");
  CHECK(r->data.at("baths").as_string() == l.baths + " ba");
  CHECK(r->data.at("street").as_string() == l.street);
  CHECK(r->data.at("address").as_string() == l.street + ", " + l.city + ", AZ 85035");
}

TEST_CASE("html_listings: limits", "[html_listings][e2e]") {
  ListingSiteServer server;
  server.start();
  SECTION("max_pages per start URL") {
    Scrape s;
    scrape(node_yaml(server, site_path("grid_homes.yaml"), "['85031', '85033']", "max_pages: 1"), s);
    CHECK(s.out.out().size() == 8);
    CHECK(server.requests("/grid") == 2);
  }
  SECTION("max_records for the run") {
    Scrape s;
    scrape(node_yaml(server, site_path("example_realty.yaml"), "['85031', '85033']", "max_records: 5"), s);
    CHECK(s.out.out().size() == 5);
    CHECK(server.requests("/search") == 2);
  }
}

TEST_CASE("html_listings: block pages make it back off and stop with a reason", "[html_listings][e2e][block]") {
  struct Mode {
    BlockMode mode;
    const char* kind;
  };
  for (Mode m : {Mode{BlockMode::rate_limit, "rate_limited"}, Mode{BlockMode::cloudflare, "challenge"},
                 Mode{BlockMode::captcha, "captcha"}, Mode{BlockMode::maintenance, "maintenance"},
                 Mode{BlockMode::login, "login"}}) {
    INFO(m.kind);
    ListingSiteServer server;
    server.start();
    server.set_block_mode(m.mode);
    Scrape s;
    scrape(node_yaml(server, site_path("example_realty.yaml"), "['85031', '85033', '85035']", "block_threshold: 2"), s);
    CHECK(s.out.out().empty());
    CHECK(s.out.errors().empty());
    CHECK(s.stats.blocked == 2);
    CHECK_THAT(s.stopped, Catch::Contains(m.kind) && Catch::Contains("stopped after 2 block pages"));
    // Two tries at the first page, then nothing: no hammering, no other ZIPs.
    CHECK(server.requests("/search") == 2);
    CHECK(server.requests() <= 1 + 2 + (m.mode == BlockMode::login ? 2 : 0));
  }
}

TEST_CASE("html_listings: a block that clears is retried and the crawl goes on", "[html_listings][e2e][block]") {
  ListingSiteServer server;
  server.start();
  server.fail_next(1, 503);  // one maintenance-less 503: back off once, then fine
  Scrape s;
  scrape(node_yaml(server, site_path("grid_homes.yaml"), "['85031']", "block_threshold: 3"), s);
  CHECK(s.out.out().size() == 10);
  CHECK(s.stats.blocked == 1);
  CHECK(s.stopped.empty());
}

TEST_CASE("html_listings: server errors are retried by the client, a dead page goes to errors", "[html_listings][e2e]") {
  ListingSiteServer server;
  server.start();
  SECTION("two 500s are retried") {
    server.fail_next(2, 500);
    Scrape s;
    scrape(node_yaml(server, site_path("grid_homes.yaml"), "['85031']"), s);
    CHECK(s.out.out().size() == 10);
    CHECK(server.requests("/grid") == 4 + 2);
  }
  SECTION("a 404 search page is reported, the next ZIP still runs") {
    server.fail_next(1, 404);
    Scrape s;
    scrape(node_yaml(server, site_path("grid_homes.yaml"), "['85031', '85033']"), s);
    CHECK(s.out.out().size() == 10);
    REQUIRE(s.out.errors().size() == 1);
    auto& e = s.out.errors()[0].data;
    CHECK(e.at("zip").as_string() == "85031");
    CHECK(e.at("error").at("reason").as_string() == "HTTP 404");
  }
}

TEST_CASE("html_listings: robots.txt disallowing us means no page is fetched", "[html_listings][e2e]") {
  ListingSiteServer server;
  server.set_robots("User-agent: *\nAllow: /\n\nUser-agent: flowrun\nDisallow: /\n");
  server.start();
  Scrape s;
  scrape(node_yaml(server, site_path("example_realty.yaml"), "['85031', '85033']"), s);
  CHECK(s.out.out().empty());
  CHECK(server.requests() == 1);  // robots.txt only
  CHECK(s.stats.robots_disallowed == 2);
  REQUIRE(s.out.errors().size() == 2);
  CHECK(s.out.errors()[0].data.at("error").at("reason").as_string() == "disallowed by robots.txt");
}

TEST_CASE("html_listings: option and site-file errors", "[html_listings]") {
  const auto& d = html_listings_descriptor();
  const std::string site = "site: '" + site_path("example_realty.yaml") + "'";
  CHECK_THROWS_WITH(make_source<HtmlListingsSource>(d, "l", "{" + site + ", zips: [1], render: firefox}"),
                    Catch::Contains("render") && Catch::Contains("one of none, chromium"));
  TempDir dir;
  std::string bad = dir.write("bad.yaml", "start_urls: [/s]\ncard: .c\nfields:\n  price: 'div >'\n");
  // Checked when the node is made, as `flowrun check` does: the site file's own line and column.
  CHECK_THROWS_WITH(make_source<HtmlListingsSource>(d, "l", "{site: bad.yaml}", dir.path.string()),
                    Catch::Contains(bad + ":4:"));
  CHECK_THROWS_WITH(make_source<HtmlListingsSource>(d, "l", "{site: no_such_site}", dir.path.string()),
                    Catch::Contains("no sites file 'no_such_site'"));
  CHECK_THROWS_WITH(make_source<HtmlListingsSource>(d, "l", "{" + site + "}"), Catch::Contains("set option 'zips'"));
  // A shipped site is found by its name from any folder.
  CHECK_NOTHROW(make_source<HtmlListingsSource>(d, "l", "{site: example_realty, zips: ['85031']}", dir.path.string()));
  CHECK_THROWS_WITH(make_source<HtmlListingsSource>(d, "l", "{site: example_realty, zips: [1], retry_statuses: [42]}"),
                    Catch::Contains("'42' is not an HTTP status"));
}

TEST_CASE("html_listings: render: chromium runs the page's JavaScript", "[html_listings][e2e][chromium]") {
  if (access("/usr/bin/chromium", X_OK) != 0) {
    WARN("SKIPPED: /usr/bin/chromium not installed");
    return;
  }
  ListingSiteServer server;
  server.start();
  TempDir dir;
  std::string site = dir.write("js.yaml", R"(
name: js_site
start_urls: "{base_url}/js/search?zip={zip}"
card: article.listing
fields:
  url: a.listing-link@href
  address: .address
  price: .price
  beds: {label: Bedrooms}
)");
  Scrape plain;
  scrape(node_yaml(server, site, "['85031']"), plain);
  CHECK(plain.out.out().empty());  // without JavaScript the page has no cards
  Scrape rendered;
  scrape(node_yaml(server, site, "['85031']", "render: chromium"), rendered);
  auto& recs = rendered.out.out();
  REQUIRE(recs.size() == 10);
  auto l = server.listings_for("85031")[0];
  const auto* r = find_url(recs, server.base_url() + "/listing/" + l.id);
  REQUIRE(r);
  CHECK(r->data.at("price").as_string() == l.price_text);
  CHECK(r->data.at("beds").as_string() == l.beds);
}
