// render: chromium against the listing fixture over loopback: pages whose listings a script
// fetches by XHR, with every request the page makes going through the node's HTTP client.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>

#include "forward_proxy.hpp"
#include "listing_site.hpp"
#include "nodes/listings/html_listings_node.hpp"
#include "test_support.hpp"

using namespace flowrun::listings;
using namespace listings_test;
using flowrun::fixtures::BlockMode;
using flowrun::fixtures::ListingSiteServer;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

bool have_chromium() { return access(kChromium, X_OK) == 0; }
#define REQUIRE_CHROMIUM()                                                                   \
  if (!have_chromium()) {                                                                    \
    WARN("SKIPPED: " << kChromium << " is not installed; render: chromium cannot be tested"); \
    return;                                                                                  \
  }

// Cards built by /static/listings.js from /api/listings; `start` is the search route.
std::string xhr_site(const TempDir& dir, const std::string& start = "/xhr/search") {
  return dir.write("xhr.yaml", "name: xhr_site\nstart_urls: \"{base_url}" + start + "?zip={zip}\"\n" + R"(card: article.listing
fields:
  url: a.listing-link@href
  address: .address
  price: .price
  beds: {label: Bedrooms}
)");
}

std::string node_yaml(const ListingSiteServer& s, const std::string& site, const std::string& extra = "",
                      const std::string& zips = "['85031']") {
  return "{site: '" + site + "', zips: " + zips + ", base_url: '" + s.base_url() +
         "', render: chromium, delay: 0s, block_backoff: 10ms, retry_base_delay: 10ms, retry_max_delay: 50ms" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

struct Rendered {
  Collector out;
  HtmlListingsSource::Stats stats;
  std::string stopped;
  std::map<std::string, double> counters;
  std::vector<std::string> warnings;
};

std::unique_ptr<Rendered> render(const std::string& yaml, std::map<std::string, std::string> settings = {},
                const std::string& resources = "") {
  YAML::Node declared = resources.empty() ? YAML::Node() : YAML::Load(resources);
  auto res = flowrun::Resources::from_yaml(declared);
  flowrun::RunContext ctx("test", "run-1", *res, std::move(settings));
  auto r = std::make_unique<Rendered>();
  {
    auto node = flowrun::make_node(html_listings_descriptor(), "listings", YAML::Load(yaml), "", declared);
    auto* src = dynamic_cast<HtmlListingsSource*>(node.get());
    REQUIRE(src);
    src->open(ctx);
    src->run(ctx, r->out);
    r->stats = src->stats();
    r->stopped = src->stopped_reason();
  }
  r->counters = ctx.counters();
  r->warnings = ctx.warnings();
  return r;
}

std::string requests_seen(const ListingSiteServer& s) {
  std::string out;
  for (const auto& r : s.request_log()) out += r + "\n";
  return out;
}

std::vector<std::string> urls_and_prices(std::vector<flowrun::Record>& recs) {
  std::vector<std::string> out;
  for (auto& r : recs) out.push_back(str(r.data.at("url")) + " " + str(r.data.at("price")));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("render: listings built from an XHR are found, every request made by our client", "[render][chromium]") {
  REQUIRE_CHROMIUM();
  ListingSiteServer server;
  server.start();
  TempDir dir;
  auto r = render(node_yaml(server, xhr_site(dir)));
  REQUIRE(r->out.out().size() == 10);
  auto l = server.listings_for("85031")[0];
  bool found = false;
  for (auto& rec : r->out.out())
    if (str(rec.data.at("url")) == server.base_url() + "/listing/" + l.id) {
      found = true;
      CHECK(str(rec.data.at("price")) == l.price_text);
      CHECK(str(rec.data.at("beds")) == l.beds);
    }
  CHECK(found);
  // The document, its script and the script's XHR, once each, all through the client.
  INFO(requests_seen(server));
  CHECK(server.requests("/xhr/search") == 1);
  CHECK(server.requests("/static/listings.js") == 1);
  CHECK(server.requests("/api/listings") == 1);
  CHECK(r->stats.rendered == 1);
  CHECK(r->counters["listings.rendered_pages"] == 1);
  CHECK(r->counters["listings.render_requests"] == 3);
  CHECK(r->counters["listings.http_2xx"] == 4);  // robots.txt + the page's three
  CHECK(r->counters["http.requests"] == 4);
}

TEST_CASE("render: the shared rate limit spaces the page's own requests", "[render][chromium]") {
  REQUIRE_CHROMIUM();
  ListingSiteServer server;
  server.start();
  TempDir dir;
  auto r = render(node_yaml(server, xhr_site(dir), "rate_limit: site", "['85031', '85033']"), {},
                      "rate_limits: {site: {count: 1, per: 150ms, min_delay: 150ms}}");
  CHECK(r->out.out().size() == 20);
  auto times = server.request_times();
  REQUIRE(times.size() == 7);  // robots.txt, then document, script and XHR per ZIP
  for (std::size_t i = 1; i < times.size(); ++i) {
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(times[i] - times[i - 1]).count();
    INFO("request " << i << " (" << server.request_log()[i] << ") came " << gap << " ms after the one before");
    CHECK(gap >= 120);  // 150 ms apart at the limiter, less the previous request's own round trip
  }
}

TEST_CASE("render: the document's real status reaches block detection and the errors port", "[render][chromium][block]") {
  REQUIRE_CHROMIUM();
  TempDir dir;
  SECTION("404 is a failed page, not a page of zero listings") {
    ListingSiteServer server;
    server.start();
    server.fail_next(1, 404);
    auto r = render(node_yaml(server, xhr_site(dir)));
    CHECK(r->out.out().empty());
    REQUIRE(r->out.errors().size() == 1);
    CHECK(str(r->out.errors()[0].data.at("error").at("reason")) == "HTTP 404");
    CHECK(r->counters["listings.http_4xx"] == 1);
  }
  struct Mode {
    BlockMode mode;
    const char* kind;
  };
  for (Mode m : {Mode{BlockMode::cloudflare, "challenge"}, Mode{BlockMode::maintenance, "maintenance"},
                 Mode{BlockMode::login, "login"}}) {
    DYNAMIC_SECTION("blocked: " << m.kind) {
      ListingSiteServer server;
      server.start();
      server.set_block_mode(m.mode);
      auto r = render(node_yaml(server, xhr_site(dir), "block_threshold: 2"));
      CHECK(r->out.out().empty());
      CHECK(r->stats.blocked == 2);
      CHECK_THAT(r->stopped, Catch::Contains(m.kind) && Catch::Contains("stopped after 2 block pages"));
      CHECK(server.requests("/xhr/search") == 2);
      // Without fail_on_block the run is not failed, but the summary says why the source stopped.
      CHECK(std::count_if(r->warnings.begin(), r->warnings.end(), [&](const std::string& w) {
              return w.find("blocked us") != std::string::npos && w.find(m.kind) != std::string::npos;
            }) == 1);
    }
  }
}

TEST_CASE("render: a redirected document reports the URL it ended on", "[render][chromium]") {
  REQUIRE_CHROMIUM();
  ListingSiteServer server;
  server.start();
  TempDir dir;
  auto r = render(node_yaml(server, xhr_site(dir, "/xhr/moved")));
  REQUIRE(r->out.out().size() == 10);
  CHECK(str(r->out.out()[0].data.at("page_url")) == server.base_url() + "/xhr/search?zip=85031");
  CHECK(server.requests("/xhr/moved") == 1);
  CHECK(server.requests("/xhr/search") == 1);
  CHECK(r->counters["listings.http_3xx"] == 1);
  CHECK(r->counters["listings.render_requests"] == 4);
}

TEST_CASE("render: a recorded cassette replays the rendered page with the site gone", "[render][chromium][cassette]") {
  REQUIRE_CHROMIUM();
  TempDir dir;
  auto cassette = (dir.path / "cassette").string();
  std::string yaml;
  std::vector<std::string> recorded;
  {
    ListingSiteServer server;
    server.start();
    yaml = node_yaml(server, xhr_site(dir));
    auto r = render(yaml, {{"http.record", cassette}});
    REQUIRE(r->out.out().size() == 10);
    recorded = urls_and_prices(r->out.out());
    CHECK(r->counters["http.recorded"] == 4);
  }  // the fixture is stopped: nothing answers on its port any more
  auto replayed = render(yaml, {{"http.replay", cassette}});
  CHECK(urls_and_prices(replayed->out.out()) == recorded);
  CHECK(replayed->counters["http.replayed"] == 4);
  CHECK(replayed->counters["listings.rendered_pages"] == 1);
  CHECK(replayed->out.errors().empty());
}

TEST_CASE("render: the page's requests rotate through the proxy list", "[render][chromium][proxy]") {
  REQUIRE_CHROMIUM();
  ListingSiteServer server;
  server.start();
  ForwardProxy a, b;
  TempDir dir;
  auto r = render(node_yaml(server, xhr_site(dir), "proxies: ['" + a.url() + "', '" + b.url() + "']"));
  INFO(requests_seen(server));
  for (auto& e : r->out.errors()) INFO(str(e.data));
  CHECK(r->out.out().size() == 10);
  // robots.txt, document, script, XHR: every one through a proxy, taking turns.
  CHECK(server.requests() == 4);
  CHECK(a.forwarded() == 2);
  CHECK(b.forwarded() == 2);
  CHECK(r->counters["listings.proxy_requests"] == 4);
}

TEST_CASE("render: a missing Chromium binary is a clear failure of the page", "[render]") {
  ListingSiteServer server;
  server.start();
  TempDir dir;
  auto r = render(node_yaml(server, xhr_site(dir), "chromium: /no/such/chromium"));
  CHECK(r->out.out().empty());
  REQUIRE(r->out.errors().size() == 1);
  CHECK_THAT(str(r->out.errors()[0].data.at("error").at("reason")), Catch::Contains("/no/such/chromium"));
}

TEST_CASE("render: a document slower than render_timeout fails the page, and the next page still renders", "[render][chromium]") {
  REQUIRE_CHROMIUM();
  ListingSiteServer server;
  server.start();
  TempDir dir;
  server.slow_next(1, 8000);  // the first ZIP's document (robots.txt is never slowed)
  auto r = render(node_yaml(server, xhr_site(dir), "render_timeout: 4s, retries: 0", "['85031', '85033']"));
  REQUIRE(r->out.errors().size() == 1);
  CHECK_THAT(str(r->out.errors()[0].data.at("error").at("reason")),
             Catch::Contains("chromium render of " + server.base_url() + "/xhr/search?zip=85031"));
  CHECK(r->out.out().size() == 10);  // 85033, in a fresh browser
  CHECK(r->stats.rendered == 1);
}
