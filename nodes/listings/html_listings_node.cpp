#include "nodes/listings/html_listings_node.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <thread>

#include "engine/json_text.hpp"
#include "engine/node_type.hpp"
#include "nodes/http/http_client.hpp"
#include "nodes/listings/block_detect.hpp"

namespace flowrun::listings {

namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxCardText = 4000;  // enough for an LLM to read a card, not a whole page

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A link from a selector: its attribute when it names one, else the element's href.
std::optional<std::string> link_from(const HtmlDocument& doc, const Selector& sel, xmlNodePtr scope) {
  if (!sel.attr().empty()) return doc.value(sel, scope);
  for (xmlNodePtr n : doc.select(sel, scope)) {
    if (n->type == XML_ATTRIBUTE_NODE || n->type == XML_TEXT_NODE) {
      xmlChar* c = xmlNodeGetContent(n);
      std::string v = collapse_whitespace(c ? reinterpret_cast<const char*>(c) : "");
      xmlFree(c);
      if (!v.empty()) return resolve_url(doc.base_url(), v);
      continue;
    }
    for (const char* a : {"href", "data-href", "data-url"}) {
      std::string v = collapse_whitespace(attribute(n, a));
      if (!v.empty()) return resolve_url(doc.base_url(), v);
    }
  }
  return std::nullopt;
}

bool followable(const std::string& url) { return url.starts_with("http://") || url.starts_with("https://"); }

json::value field_json(const FieldValue& v) {
  if (v.value) return json::value(*v.value);
  json::array a;
  for (const auto& s : v.list) a.emplace_back(s);
  return a;
}

}  // namespace

std::string url_origin(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  auto end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end);
}

std::string set_query_param(const std::string& url, const std::string& name, const std::string& value) {
  std::string base = url, frag;
  if (auto h = base.find('#'); h != std::string::npos) {
    frag = base.substr(h);
    base.resize(h);
  }
  auto q = base.find('?');
  if (q == std::string::npos) return base + "?" + name + "=" + value + frag;
  std::string path = base.substr(0, q + 1), query = base.substr(q + 1), out;
  bool replaced = false;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (part.substr(0, part.find('=')) == name) {
      part = name + "=" + value;
      replaced = true;
    }
    if (!part.empty()) out += (out.empty() ? "" : "&") + part;
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  if (!replaced) out += (out.empty() ? "" : "&") + name + "=" + value;
  return path + out + frag;
}

std::optional<milliseconds> parse_retry_after(const std::string& v) {
  if (v.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    double s = std::stod(v, &used);
    if (used == v.size() && s >= 0) return milliseconds(static_cast<std::int64_t>(s * 1000));
  } catch (...) {
  }
  std::tm tm{};
  if (strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
    auto when = timegm(&tm), now = std::time(nullptr);
    return milliseconds(std::max<std::int64_t>(0, (when - now) * 1000));
  }
  return std::nullopt;
}

http::HttpOptions listing_site_http() {
  http::HttpOptions h;
  h.retry_statuses = {"408", "500", "502", "504"};
  return h;
}

HtmlListingsSource::HtmlListingsSource(const HtmlListingsOptions& o, const NodeInfo& node)
    : o_(o), node_(node), max_pages_(o.max_pages), max_records_(o.max_records) {}

HtmlListingsSource::~HtmlListingsSource() = default;

void HtmlListingsSource::open(RunContext& ctx) {
  site_ = load_site_file(o_.site);  // SiteFileError names file:line:column
  if (!o_.base_url.empty()) site_.base_url = o_.base_url;
  if (max_pages_ <= 0) max_pages_ = site_.max_pages;
  if (max_records_ <= 0) max_records_ = site_.max_records;
  if (site_.uses_zip() && o_.zips.empty())
    throw std::invalid_argument("node '" + node_.id + "': site '" + site_.name + "' searches by {zip}; set option 'zips'");

  http::ClientOptions opts = http::client_options(o_.http, node_, ctx);
  agent_token_ = robots_agent_token(opts.user_agent.empty() ? http::kDefaultUserAgent : opts.user_agent);
  client_ = std::make_unique<http::Client>(std::move(opts));
  if (o_.render == "chromium") {
    RenderOptions r;
    r.binary = o_.chromium;
    r.timeout = o_.render_timeout;
    r.settle = o_.render_settle;
    r.cancelled = [&ctx] { return ctx.stopping(); };
    fetcher_ = make_rendered_fetcher(*client_, std::move(r));
  } else {
    fetcher_ = make_http_fetcher(*client_);
  }
}

void HtmlListingsSource::count(RunContext& ctx, const std::string& what, double n) {
  ctx.add_counter(node_.id + "." + what, n);
}

bool HtmlListingsSource::sleep_for(RunContext& ctx, milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (ctx.stopping()) return false;
    std::this_thread::sleep_for(std::min<milliseconds>(milliseconds(100), std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now()) + milliseconds(1)));
  }
  return !ctx.stopping();
}

void HtmlListingsSource::pace(RunContext& ctx, const std::string& origin) {
  if (!ctx.setting("http.replay").empty()) return;  // a cassette is no site to be polite to
  milliseconds delay = o_.delay.value_or(site_.delay);
  if (auto it = robots_.find(origin); it != robots_.end() && it->second.crawl_delay())
    delay = std::max(delay, *it->second.crawl_delay());
  auto& last = last_hit_[origin];
  auto now = std::chrono::steady_clock::now();
  if (last.time_since_epoch().count() != 0 && now < last + delay)
    sleep_for(ctx, std::chrono::duration_cast<milliseconds>(last + delay - now));
  last = std::chrono::steady_clock::now();
}

bool HtmlListingsSource::robots_allow(RunContext& ctx, const std::string& url) {
  std::string origin = url_origin(url);
  auto it = robots_.find(origin);
  if (it == robots_.end()) {
    RobotsRules rules = RobotsRules::allow_all();
    try {
      http::Response r = client_->get(origin + "/robots.txt", {{"Accept", "text/plain"}});
      if (r.status >= 200 && r.status < 300) {
        rules = RobotsRules::parse(r.body, agent_token_);
      } else if (r.status == 429 || r.status >= 500) {
        // RFC 9309: an unreachable robots.txt means "assume complete disallow".
        rules = RobotsRules::disallow_all();
        spdlog::warn("{}: {}/robots.txt answered HTTP {}; treating the site as disallowed", node_.id, origin, r.status);
      }
    } catch (const std::exception& e) {
      rules = RobotsRules::disallow_all();
      spdlog::warn("{}: cannot fetch {}/robots.txt ({}); treating the site as disallowed", node_.id, origin, e.what());
    }
    last_hit_[origin] = std::chrono::steady_clock::now();
    it = robots_.emplace(origin, std::move(rules)).first;
  }
  if (it->second.allowed(url)) return true;
  ++stats_.robots_disallowed;
  count(ctx, "robots_disallowed");
  spdlog::info("{}: robots.txt disallows {}; not fetched", node_.id, url);
  return false;
}

HtmlListingsSource::Fetched HtmlListingsSource::fetch(RunContext& ctx, const std::string& url) {
  if (!followable(url)) return {std::nullopt, "not an http(s) URL: " + url};
  if (!robots_allow(ctx, url)) return {std::nullopt, "disallowed by robots.txt"};
  std::string origin = url_origin(url);
  for (;;) {
    if (ctx.stopping()) return {std::nullopt, "run stopping"};
    pace(ctx, origin);
    Page page;
    ++stats_.requests;
    count(ctx, "requests");
    try {
      page = fetcher_->fetch(url);
    } catch (const std::exception& e) {
      return {std::nullopt, client_->redact(e.what())};
    }
    if (o_.render == "chromium") {
      ++stats_.rendered;
      count(ctx, "rendered_pages");
      count(ctx, "render_requests", page.requests);
    }
    BlockVerdict v = detect_block(page.status, page.body, page.final_url, page.location);
    if (!v.blocked()) {
      consecutive_blocks_ = 0;
      if (page.status >= 200 && page.status < 300) return {std::move(page), ""};
      return {std::nullopt, "HTTP " + std::to_string(page.status)};
    }
    ++stats_.blocked;
    ++consecutive_blocks_;
    count(ctx, "blocked");
    if (consecutive_blocks_ >= o_.block_threshold) {
      stopped_reason_ = "site '" + site_.name + "' blocked us: " + std::string(to_string(v.kind)) + ": " + v.reason +
                        " at " + url + "; stopped after " + std::to_string(consecutive_blocks_) + " block pages in a row";
      return {std::nullopt, stopped_reason_};
    }
    // Exponential back-off, at least what Retry-After asks for. The client rotates proxies per
    // request, so the retry also goes out through the next proxy when several are configured.
    double factor = std::pow(2.0, consecutive_blocks_ - 1);
    milliseconds wait(static_cast<std::int64_t>(std::min<double>(o_.block_backoff.count() * factor, o_.max_backoff.count())));
    if (auto ra = parse_retry_after(page.retry_after)) wait = std::max(wait, std::min(*ra, o_.max_backoff));
    spdlog::warn("{}: {} at {} ({}); backing off {} ms ({} of {})", node_.id, to_string(v.kind), url, v.reason,
                 wait.count(), consecutive_blocks_, o_.block_threshold);
    if (!sleep_for(ctx, wait)) return {std::nullopt, "run stopping"};
  }
}

bool HtmlListingsSource::done() const {
  return !stopped_reason_.empty() || (max_records_ > 0 && stats_.records >= max_records_);
}

void HtmlListingsSource::read_fields(const HtmlDocument& doc, const Card& card, json::object& data,
                                     json::array& failed) const {
  for (const FieldSpec& f : site_.fields) {
    json::value v;
    if (card.json) {
      v = extract_json_field(*card.json, f, doc.base_url());
    } else if (FieldValue fv = extract_field(doc, card.element, f); fv.found()) {
      v = field_json(fv);
    }
    if (!v.is_null()) {
      data[f.name] = std::move(v);
      continue;
    }
    failed.emplace_back(f.name);
    if (!data.contains(f.name)) data[f.name] = nullptr;  // a site-wide listing_type stays
  }
}

std::optional<std::string> HtmlListingsSource::detail_link(const HtmlDocument& doc, const Card& card) const {
  if (!site_.detail) return std::nullopt;
  if (!card.json) return link_from(doc, site_.detail->link, card.element);
  if (!site_.detail->json_link) return std::nullopt;
  FieldSpec f;
  f.json.push_back(*site_.detail->json_link);
  json::value v = extract_json_field(*card.json, f, doc.base_url());
  if (!v.is_string()) return std::nullopt;
  return resolve_url(doc.base_url(), std::string(v.get_string()));
}

void HtmlListingsSource::count_values(const json::object& data) {
  bool any = false;
  auto hit = [&](const std::string& name) {
    const json::value* v = data.if_contains(name);
    if (!v || v->is_null()) return;
    ++field_hits_[name];
    any = true;
  };
  for (const FieldSpec& f : site_.fields) hit(f.name);
  if (site_.detail)
    for (const FieldSpec& f : site_.detail->fields) hit(f.name);
  if (any) ++stats_.records_with_values;
}

void HtmlListingsSource::emit_card(RunContext& ctx, Emitter& out, const HtmlDocument& doc, const Card& card,
                                   int index, const std::string& zip, int page_no) {
  json::object data;
  data["site"] = site_.name;
  data["zip"] = zip;
  if (!site_.listing_type.empty()) data["listing_type"] = site_.listing_type;
  json::array failed;
  read_fields(doc, card, data, failed);
  std::string text = card.json ? to_json_text(*card.json->value) : node_text(card.element);
  if (text.size() > kMaxCardText) {
    text.resize(kMaxCardText);
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();  // no split UTF-8
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
  }
  data["text"] = text;
  data["page_url"] = doc.url();
  data["page"] = page_no;

  std::optional<std::string> link = detail_link(doc, card);
  // Listing URLs are absolute: a JSON "url": "/homes/12" or a text href resolves against the page.
  std::string url;
  if (auto* u = data.if_contains("url"); u && u->is_string() && !u->as_string().empty()) {
    url = resolve_url(doc.base_url(), std::string(u->as_string()));
    *u = url;
  }
  if (url.empty() && link) url = *link;
  if (url.empty()) url = doc.url() + "#card-" + std::to_string(index + 1);
  if (!data.contains("url") || data["url"].is_null()) data["url"] = url;

  if (!seen_urls_.insert(url).second) {
    // The same listing on two pages (sites re-sort while we page): one record is enough.
    count(ctx, "duplicates");
    return;
  }

  if (site_.detail) {
    if (!link) {
      data["detail_error"] = "no detail link in card";
    } else {
      data["detail_url"] = *link;
      Fetched f = fetch(ctx, *link);
      if (f.page) {
        ++stats_.detail_pages;
        count(ctx, "detail_pages");
        HtmlDocument det(f.page->body, f.page->final_url.empty() ? *link : f.page->final_url);
        for (const FieldSpec& fs : site_.detail->fields) {
          FieldValue v = extract_field(det, nullptr, fs);
          if (v.found()) {
            data[fs.name] = field_json(v);
            // A field the card missed but the detail page gave is no failure.
            auto it = std::find_if(failed.begin(), failed.end(), [&](const json::value& x) { return x.as_string() == fs.name; });
            if (it != failed.end()) failed.erase(it);
          } else if (!data.contains(fs.name) || data[fs.name].is_null()) {
            data[fs.name] = nullptr;
            failed.emplace_back("detail." + fs.name);
          }
        }
      } else {
        data["detail_error"] = f.failure;
      }
    }
  }
  if (!failed.empty()) {
    count(ctx, "selector_failed");
    data["selector_failed"] = std::move(failed);
  }
  data["fetched_at"] = iso_now();
  count_values(data);

  Record r(std::move(data));
  r.env.source = node_.id;
  r.env.source_id = url;
  out.emit(std::move(r));
  ++stats_.records;
  count(ctx, "records");
}

void HtmlListingsSource::find_cards(RunContext& ctx, const HtmlDocument& doc, PageCards& found) {
  switch (site_.card.kind) {
    case CardSpec::Kind::html:
      for (xmlNodePtr n : doc.select(site_.card.selector)) found.cards.push_back({n, nullptr});
      break;
    case CardSpec::Kind::json_ld: found.scan = json_ld_cards(doc, site_.card.types); break;
    case CardSpec::Kind::json: found.scan = embedded_json_cards(doc, site_.card.selector, site_.card.path); break;
  }
  for (const JsonCard& c : found.scan.cards) found.cards.push_back({nullptr, &c});
  for (const std::string& problem : found.scan.problems) {
    // A broken block is no reason to drop the page's other blocks, but someone should hear of it.
    ++stats_.json_invalid;
    count(ctx, "json_invalid");
    spdlog::warn("{}: {} on {}", node_.id, problem, doc.url());
    if (first_json_problem_.empty()) first_json_problem_ = problem + " on " + doc.url();
  }
  stats_.cards += static_cast<int>(found.cards.size());
  if (found.cards.empty()) spdlog::info("{}: no cards ({}) on {}", node_.id, site_.card.describe(), doc.url());
}

void HtmlListingsSource::crawl(RunContext& ctx, Emitter& out, const std::string& zip, const std::string& start) {
  std::string url = start;
  int page_no = site_.first_page;
  if (!site_.page_param.empty() && url.find(site_.page_param + "=") == std::string::npos)
    url = set_query_param(url, site_.page_param, std::to_string(page_no));
  std::set<std::string> visited;
  for (int pages = 0; !done() && !ctx.stopping(); ++pages) {
    if (max_pages_ > 0 && pages >= max_pages_) {
      spdlog::info("{}: max_pages {} reached for {}", node_.id, max_pages_, start);
      break;
    }
    visited.insert(url);
    Fetched f = fetch(ctx, url);
    if (!f.page) {
      if (!stopped_reason_.empty() || ctx.stopping()) return;
      ++stats_.failed_pages;
      count(ctx, "failed_pages");
      spdlog::warn("{}: search page {} failed: {}", node_.id, url, f.failure);
      // Not a record, but the dead letters should say which pages were never read.
      Record err(json::object{{"site", site_.name}, {"zip", zip}, {"url", url}, {"page", page_no},
                              {"error", json::object{{"url", url}, {"reason", f.failure}}}});
      err.env.source = node_.id;
      err.env.source_id = url;
      out.emit("errors", std::move(err));
      return;
    }
    ++stats_.pages;
    count(ctx, "pages");
    HtmlDocument doc(f.page->body, f.page->final_url.empty() ? url : f.page->final_url);
    PageCards found;
    find_cards(ctx, doc, found);
    for (std::size_t i = 0; i < found.cards.size() && !done() && !ctx.stopping(); ++i)
      emit_card(ctx, out, doc, found.cards[i], static_cast<int>(i), zip, page_no);
    if (done()) return;
    std::string next;
    if (site_.next_page) {
      if (auto n = link_from(doc, *site_.next_page, nullptr)) next = *n;
    } else if (!site_.page_param.empty() && !found.cards.empty()) {
      next = set_query_param(url, site_.page_param, std::to_string(++page_no));
    }
    if (next.empty() || visited.count(next)) break;
    if (site_.next_page) ++page_no;
    url = next;
  }
}

// A source that found nothing usable says so in the summary: the run may well end ok (nothing
// failed), but an empty collection is what a person must notice. With fail_on_empty it fails.
void HtmlListingsSource::report_empty(RunContext& ctx) {
  std::string problem;
  if (stats_.records == 0) {
    if (stats_.pages > 0)
      problem = fmt::format("{}: no cards ({}) on {} page(s) of site '{}'", node_.id, site_.card.describe(),
                            stats_.pages, site_.name);
    else
      problem = fmt::format("{}: read no page of site '{}'{}", node_.id, site_.name,
                            stats_.failed_pages ? fmt::format(" ({} failed)", stats_.failed_pages) : "");
    if (!first_json_problem_.empty())
      problem += fmt::format("; {} JSON block(s) did not parse, the first: {}", stats_.json_invalid, first_json_problem_);
    if (!stopped_reason_.empty()) problem += " (stopped early: blocked)";  // run() warns with the details
  } else if (stats_.records_with_values == 0) {
    problem = fmt::format("{}: none of the {} cards of site '{}' gave a value for any field; check the site file's "
                          "fields against the page", node_.id, stats_.records, site_.name);
  }
  if (!problem.empty()) {
    count(ctx, "empty");
    ctx.warn(problem);
    return;
  }
  std::string dead;
  for (const FieldSpec& f : site_.fields)
    if (!field_hits_.count(f.name)) dead += (dead.empty() ? "'" : ", '") + f.name + "'";
  if (!dead.empty())
    ctx.warn(fmt::format("{}: field(s) {} of site '{}' found nothing on any of the {} cards", node_.id, dead,
                         site_.name, stats_.records));
}

void HtmlListingsSource::run(RunContext& ctx, Emitter& out) {
  std::vector<std::string> zips = site_.uses_zip() ? o_.zips : std::vector<std::string>{""};
  for (const std::string& zip : zips) {
    for (const std::string& tmpl : site_.start_urls) {
      if (done() || ctx.stopping()) break;
      crawl(ctx, out, zip, expand_start_url(site_, tmpl, zip));
    }
  }
  spdlog::info("{}: {} records from {} pages ({} detail pages, {} requests, {} rendered, {} blocked, {} disallowed by "
               "robots.txt)",
               node_.id, stats_.records, stats_.pages, stats_.detail_pages, stats_.requests, stats_.rendered,
               stats_.blocked, stats_.robots_disallowed);
  report_empty(ctx);
  if (!stopped_reason_.empty()) {
    spdlog::error("{}: {}", node_.id, stopped_reason_);
    count(ctx, "stopped_blocked");
    // Throwing after every record went out makes the engine report the reason as this source's
    // stopped_reason and the run's failure (the summary's last lines, the ledger): opt-in.
    if (o_.fail_on_block) throw std::runtime_error(stopped_reason_);
    // Otherwise the run may end ok, but never quietly: a warning reaches the summary and the ledger.
    ctx.warn(node_.id + ": " + stopped_reason_ + " (fail_on_block: true would fail the run)");
  }
  if (o_.fail_on_empty && (stats_.records == 0 || stats_.records_with_values == 0))
    throw std::runtime_error(fmt::format("site '{}' gave no usable record (fail_on_empty)", site_.name));
}

namespace {

// `flowrun check`: the site file parses (every problem at its own file:line:column) and gives what
// the node needs.
void check_site(const HtmlListingsOptions& o, Check& check) {
  if (o.site.empty()) return;  // not found: the option's reader said so
  auto site = load_site_file(o.site, check.diagnostics());
  if (!site) return;
  if (site->uses_zip() && o.zips.empty())
    check.error("site", "site '" + site->name + "' searches by {zip}; set option 'zips'");
  if (o.base_url.empty() && site->base_url.empty())
    for (const auto& u : site->start_urls)
      if (u.find("{base_url}") != std::string::npos) {
        check.error("site", "site '" + site->name + "' uses {base_url} but neither it nor option 'base_url' sets one");
        break;
      }
}

}  // namespace

NodeDescriptor html_listings_descriptor() {
  using O = HtmlListingsOptions;
  NodeType<O> t("html_listings", Role::source,
                "Scrapes a listing website described by a site file (pipelines/sites/*.yaml, docs/sites.md): search "
                "pages per ZIP, cards (HTML elements, JSON-LD objects or values of an embedded JSON payload), "
                "pagination, optional detail pages. Obeys robots.txt, paces requests, backs off on block and captcha "
                "pages and stops after block_threshold. Emits one raw record per card (field values as raw strings "
                "or JSON values, plus an absolute url, site, zip and the card's text).");
  t.option("site", &O::site,
           "site file describing the site's pages and selectors: a shipped site by name (`example_realty`, found "
           "in sites/) or a path to a YAML file; checked by `flowrun check`")
      .required()
      .data_file("sites", ".yaml");
  t.option("zips", &O::zips, "ZIP codes substituted for {zip} in the site's start_urls");
  t.option("base_url", &O::base_url, "overrides the site file's base_url (e.g. a local fixture or mirror)");
  t.option("render", &O::render,
           "none: plain HTTP; chromium: pages rendered by headless Chromium (for listings built by JavaScript), "
           "every request the page makes (document, scripts, XHR) still sent by this node's HTTP client: rate "
           "limit, retries, proxies and cassettes as for plain pages (docs/sites.md).")
      .choices({"none", "chromium"});
  t.option("chromium", &O::chromium, "Chromium binary used when render: chromium");
  t.option("render_timeout", &O::render_timeout, "time allowed for one rendered page, its requests included")
      .at_least(0.001);
  t.option("render_settle", &O::render_settle,
           "quiet time after a rendered page's load event before its DOM is read (requests scripts start late)");
  t.option("max_pages", &O::max_pages, "search pages per start URL; 0 = the site file's limits.max_pages").at_least(0);
  t.option("max_records", &O::max_records,
           "records per run; 0 = the site file's limits.max_records (0 there = no limit)")
      .at_least(0);
  t.option("delay", &O::delay,
           "pause between requests to the site; default the site file's delay (robots.txt Crawl-delay wins when "
           "longer)");
  t.option("block_threshold", &O::block_threshold, "block/challenge pages in a row before the source stops").at_least(1);
  t.option("block_backoff", &O::block_backoff, "first back-off after a block page; doubles each time");
  t.option("max_backoff", &O::max_backoff, "cap on one back-off wait");
  t.option("fail_on_block", &O::fail_on_block,
           "when the site blocks us (block_threshold block pages in a row), fail the run with the reason; otherwise "
           "the run only warns");
  t.option("fail_on_empty", &O::fail_on_empty,
           "fail the run when the source emits no record, or no card gives a value for any field (either is "
           "always a summary warning)");
  t.include(&O::http, http::client_option_group());
  t.validate(check_site);
  t.blocking_io();
  t.create([](const O& o, const NodeInfo& n) { return std::make_unique<HtmlListingsSource>(o, n); });
  return t.descriptor();
}

}  // namespace flowrun::listings
