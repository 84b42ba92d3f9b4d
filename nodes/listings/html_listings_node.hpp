// `html_listings`: scrapes a listing site described by a site file, politely (robots.txt, delays,
// back-off on block pages) and never silently (a card whose selectors fail still goes out with
// its text for the LLM extractor; a site that yields no cards, or cards without any value, is a
// warning in the run summary and, with fail_on_empty, a failed run). Cards are HTML elements,
// JSON-LD objects or values of a JSON payload embedded in the page (docs/sites.md).
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/context.hpp"
#include "engine/node.hpp"
#include "engine/options.hpp"
#include "engine/registry.hpp"
#include "nodes/http/client_options.hpp"
#include "nodes/listings/page_fetcher.hpp"
#include "nodes/listings/robots.hpp"
#include "nodes/listings/site_file.hpp"

namespace flowrun::http {
class Client;
}

namespace flowrun::listings {

namespace json = boost::json;

NodeDescriptor html_listings_descriptor();

// The client retries neither 429 nor 503 for a listing site: our block handling backs off for
// minutes and gives up, and retrying within seconds would hammer a site that asked us to stop.
http::HttpOptions listing_site_http();

struct HtmlListingsOptions {
  std::string site;  // resolved: a path, or a shipped site file found by name
  std::vector<std::string> zips;
  std::string base_url;
  std::string render = "none";
  std::string chromium = "/usr/bin/chromium";
  std::chrono::milliseconds render_timeout{30000}, render_settle{500};
  int max_pages = 0, max_records = 0;
  std::optional<std::chrono::milliseconds> delay;
  int block_threshold = 3;
  std::chrono::milliseconds block_backoff{30000}, max_backoff{600000};
  bool fail_on_block = false, fail_on_empty = false;
  http::HttpOptions http = listing_site_http();
};

class HtmlListingsSource : public SourceNode {
 public:
  HtmlListingsSource(const HtmlListingsOptions& o, const NodeInfo& node);
  ~HtmlListingsSource() override;

  void open(RunContext& ctx) override;
  void run(RunContext& ctx, Emitter& out) override;

  struct Stats {
    int requests = 0;           // page fetches attempted (robots.txt not included)
    int rendered = 0;           // pages rendered by Chromium (render: chromium)
    int pages = 0;              // search pages parsed
    int detail_pages = 0;
    int records = 0;
    int blocked = 0;            // block/challenge pages seen
    int robots_disallowed = 0;  // URLs not fetched because robots.txt says no
    int failed_pages = 0;
    int cards = 0;              // cards found on search pages (duplicates included)
    int records_with_values = 0;  // records where at least one field found a value
    int json_invalid = 0;       // JSON blocks (JSON-LD, embedded payloads) that did not parse
  };
  const Stats& stats() const { return stats_; }
  // Why the source ended early ("" when it finished normally).
  const std::string& stopped_reason() const { return stopped_reason_; }
  const SiteSpec& site() const { return site_; }

 private:
  struct Fetched {
    std::optional<Page> page;
    std::string failure;  // why there is no page
  };
  Fetched fetch(RunContext& ctx, const std::string& url);
  bool robots_allow(RunContext& ctx, const std::string& url);
  void pace(RunContext& ctx, const std::string& origin);
  bool sleep_for(RunContext& ctx, std::chrono::milliseconds d);
  // One card of a search page: an HTML element or a JSON value.
  struct Card {
    xmlNodePtr element = nullptr;
    const JsonCard* json = nullptr;
  };
  struct PageCards {
    JsonScan scan;  // owns the JSON the cards point into
    std::vector<Card> cards;
  };
  void crawl(RunContext& ctx, Emitter& out, const std::string& zip, const std::string& start);
  void find_cards(RunContext& ctx, const HtmlDocument& doc, PageCards& found);
  void read_fields(const HtmlDocument& doc, const Card& card, json::object& data, json::array& failed) const;
  std::optional<std::string> detail_link(const HtmlDocument& doc, const Card& card) const;
  void emit_card(RunContext& ctx, Emitter& out, const HtmlDocument& doc, const Card& card, int index,
                 const std::string& zip, int page_no);
  void count_values(const json::object& data);
  void report_empty(RunContext& ctx);
  bool done() const;
  void count(RunContext& ctx, const std::string& what, double n = 1);

  HtmlListingsOptions o_;
  NodeInfo node_;
  SiteSpec site_;
  int max_pages_ = 0, max_records_ = 0;  // the options', else the site file's
  std::string agent_token_ = "flowrun";

  std::unique_ptr<http::Client> client_;
  std::unique_ptr<PageFetcher> fetcher_;
  std::map<std::string, RobotsRules> robots_;                   // per origin
  std::map<std::string, std::chrono::steady_clock::time_point> last_hit_;  // per origin
  std::set<std::string> seen_urls_;                              // cards already emitted
  int consecutive_blocks_ = 0;
  Stats stats_;
  std::map<std::string, int> field_hits_;  // field -> records in which it found a value
  std::string first_json_problem_;
  std::string stopped_reason_;
};

// "http://host:port" of a URL ("" when it has none).
std::string url_origin(const std::string& url);
// `url` with query parameter `name` set to `value` (added when absent).
std::string set_query_param(const std::string& url, const std::string& name, const std::string& value);
// Seconds or an HTTP date in a Retry-After header, as a delay (nullopt when unparseable).
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value);

}  // namespace flowrun::listings
