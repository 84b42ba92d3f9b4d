#include "nodes/maricopa/maricopa_source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "engine/context.hpp"
#include "nodes/store/shared_store.hpp"

namespace flowrun::maricopa {

namespace json = boost::json;

const std::vector<std::string>& detail_names() {
  // "parcel" is the whole /parcel/{apn} object (it is the one that 404s for an unknown APN).
  static const std::vector<std::string> names = {"valuations", "residential-details", "propertyinfo",
                                                 "address", "owner-details", "parcel"};
  return names;
}

namespace {

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

std::vector<std::string> MaricopaOptions::all_queries() const {
  std::vector<std::string> all = queries;
  all.insert(all.end(), zips.begin(), zips.end());
  std::erase_if(all, [](const std::string& q) { return blank(q); });
  return all;
}

std::string MaricopaOptions::root() const {
  std::string r = base_url;
  while (!r.empty() && r.back() == '/') r.pop_back();
  return r;
}

MaricopaSource::MaricopaSource(const MaricopaOptions& o, const NodeInfo& node)
    : o_(o), node_(node), base_url_(o.root()), queries_(o.all_queries()) {}

std::string MaricopaSource::search_url(const std::string& q, long long page) const {
  return base_url_ + "/search/" + o_.search + "/?q=" + url_encode(q) + "&page=" + std::to_string(page);
}

std::string MaricopaSource::detail_url(const std::string& apn, const std::string& detail) const {
  std::string u = base_url_ + "/parcel/" + url_encode(apn);
  return detail == "parcel" ? u : u + "/" + detail;
}

void MaricopaSource::bad_key(long status) const {
  throw FatalError("maricopa_api '" + node_.id + "': the assessor API answered HTTP " + std::to_string(status) +
                   " with an empty body to the first request, which is how it rejects a missing or "
                   "invalid token: check MARICOPA_API_KEY (sent as the AUTHORIZATION header). "
                   "Stopped without retrying.");
}

// One answer: from the checkpoints when this crawl already has it (or, for a detail, when it is
// younger than refresh_after), else from the server, revalidated with ETag / Last-Modified when
// an older copy has them; a usable answer is saved before anything else happens to it.
http::Response MaricopaSource::get(http::Client& client, const std::string& url, const std::string& key, bool detail,
                                   RunContext& ctx, bool& asked) {
  asked = false;
  std::optional<store::FetchedItem> had;
  const std::int64_t now = now_us() / 1000000;
  if (checkpoints_ && (had = checkpoints_->item(key))) {
    const auto age_ms = (now - had->fetched_at) * 1000;
    if (had->crawl == crawl_ || (detail && age_ms < o_.refresh_after.count())) {
      ctx.add_counter(node_.id + ".from_checkpoint", 1);
      http::Response r;
      r.status = had->status;
      r.body = had->body;
      return r;
    }
  }
  asked = true;
  auto headers = headers_;
  if (had && !had->etag.empty()) headers.emplace_back("If-None-Match", had->etag);
  if (had && !had->last_modified.empty()) headers.emplace_back("If-Modified-Since", had->last_modified);
  http::Response r = client.get(url, headers);
  if (!checkpoints_) return r;
  if (r.status == 304 && had) {
    ctx.add_counter(node_.id + ".not_modified", 1);
    checkpoints_->touch(key, crawl_, now);
    r.status = had->status;
    r.body = had->body;
    return r;
  }
  Body b = classify_body(r.status, r.body);
  if ((r.status == 200 || r.status == 404) && (b.kind == BodyKind::data || b.kind == BodyKind::absent)) {
    store::FetchedItem item;
    item.crawl = crawl_;
    item.status = r.status;
    item.body = r.body;
    item.etag = r.header("etag");
    item.last_modified = r.header("last-modified");
    item.fetched_at = now;
    checkpoints_->save(key, item);
  }
  return r;
}

MaricopaSource::Fetched MaricopaSource::fetch(http::Client& main, const std::string& url, const std::string& key,
                                              bool detail) {
  for (int tries = 0;;) {
    // The first request goes through a client that does not retry 500: on this API a 500 with
    // an empty body means "bad token", and hammering it with the same token helps nobody.
    bool first = first_request_;
    http::Client& client = first ? *probe_ : main;
    bool asked = true;
    http::Response r = get(client, url, key, detail, *ctx_, asked);
    if (!asked) first = false;  // the server has not seen the key yet: the next live request checks it
    else first_request_ = false;
    if (first && blank(r.body) && (r.status == 500 || r.status == 401 || r.status == 403)) bad_key(r.status);
    if (first && r.status == 500) continue;  // a 500 with a body is a hiccup: ask again, with retries

    Fetched f;
    f.status = r.status;
    const std::string shown = client.redact(url);
    if (r.status >= 400 && r.status != 404) {
      f.problem = "HTTP " + std::to_string(r.status) + " from GET " + shown +
                  (r.attempts > 1 ? " after " + std::to_string(r.attempts) + " attempts" : "");
      return f;
    }
    f.body = classify_body(r.status, r.body);
    if (f.body.kind == BodyKind::html) {
      f.problem = "expected JSON from GET " + shown + ", got an HTML page (HTTP " + std::to_string(r.status) + ")";
      return f;
    }
    if (f.body.kind == BodyKind::garbage) {
      // A damaged transfer (a proxy or CDN mangled it): worth asking again.
      if (tries++ < o_.body_retries) continue;
      f.problem = "unreadable JSON from GET " + shown + " (" + std::to_string(tries) + " tries)";
      return f;
    }
    return f;
  }
}

bool MaricopaSource::crawl(const std::string& q, RunContext& ctx, Emitter& out,
                           std::vector<std::string>& failures) {
  long long seen = 0;
  for (long long page = 1;; ++page) {
    if (ctx.stopping()) return false;
    if (o_.max_pages > 0 && page > o_.max_pages) break;
    Fetched f;
    try {
      f = fetch(*client_, search_url(q, page), "search/" + o_.search + "/" + q + "/" + std::to_string(page), false);
    } catch (const http::TransportError& e) {
      if (ctx.stopping()) return false;  // cancelled on purpose, not a failure
      failures.push_back("query '" + q + "' page " + std::to_string(page) + ": " + e.what());
      break;
    }
    if (!f.problem.empty()) {
      failures.push_back("query '" + q + "' page " + std::to_string(page) + ": " + f.problem);
      break;
    }
    if (f.body.kind == BodyKind::absent) break;
    const json::object* body = f.body.value.if_object();
    const json::value* results = body ? body->if_contains("Results") : nullptr;
    if (!results || !results->is_array()) {
      failures.push_back("query '" + q + "' page " + std::to_string(page) +
                         ": search answer has no Results list");
      break;
    }
    const long long total = read_total(*body);
    const auto& rows = results->as_array();
    if (rows.empty()) break;

    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (ctx.stopping()) return false;
      if (!rows[i].is_object()) {
        failures.push_back("query '" + q + "' page " + std::to_string(page) + " row " + std::to_string(i + 1) +
                           " is not an object");
        continue;
      }
      Record rec(rows[i].as_object());
      std::string apn;
      if (auto* a = rec.data.if_contains("APN"); a && a->is_string()) apn = std::string(a->as_string());
      json::object details;
      json::array warnings;
      if (!apn.empty()) {
        for (const auto& d : o_.details) {
          if (ctx.stopping()) return false;
          try {
            Fetched got = fetch(*client_, detail_url(apn, d), "parcel/" + apn + "/" + d, true);
            if (got.body.kind == BodyKind::data) details[d] = std::move(got.body.value);
            else if (!got.problem.empty()) warnings.push_back(json::string(d + ": " + got.problem));
          } catch (const http::TransportError& e) {
            if (ctx.stopping()) return false;
            warnings.push_back(json::string(d + ": " + e.what()));
          }
        }
      }
      rec.data["details"] = std::move(details);
      rec.data["query"] = q;
      rec.data["page"] = page;
      if (!warnings.empty()) {
        ctx.add_counter("maricopa.detail_warnings", static_cast<double>(warnings.size()));
        rec.meta["warnings"] = std::move(warnings);
      }
      rec.env.source = node_.id;
      rec.env.source_id = !apn.empty() ? apn
                                       : o_.search + ":" + q + ":" + std::to_string(page) + ":" + std::to_string(i + 1);
      out.emit(std::move(rec));
      ++emitted_;
      if (o_.limit > 0 && emitted_ >= o_.limit) return false;
    }
    if (checkpoints_) checkpoints_->page_done(crawl_, q, page);
    seen += static_cast<long long>(rows.size());
    if (total >= 0 && seen >= total) break;
  }
  return true;
}

void MaricopaSource::run(RunContext& ctx, Emitter& out) {
  if (blank(o_.api_key))
    throw FatalError("maricopa_api '" + node_.id +
                     "': api_key is empty; set MARICOPA_API_KEY and pass it as api_key: ${env.MARICOPA_API_KEY}");
  http::ClientOptions o = http::client_options(o_.http, node_, ctx);
  o.secrets.push_back(o_.api_key);
  client_ = std::make_unique<http::Client>(o);
  http::ClientOptions p = o;
  if (p.retry.retry_statuses.empty()) p.retry.retry_statuses = {408, 429, 502, 503, 504};
  else p.retry.retry_statuses.erase(500);
  probe_ = std::make_unique<http::Client>(p);
  headers_ = {{"AUTHORIZATION", o_.api_key}, {"Accept", "application/json"}};
  first_request_ = true;
  emitted_ = 0;
  ctx_ = &ctx;
  if (o_.checkpoints && !ctx.setting("store").empty()) {
    checkpoints_ = std::make_unique<store::Checkpoints>(store::shared_store(ctx, ctx.setting("store")), node_.id);
    crawl_ = checkpoints_->begin(ctx.run_id(), !ctx.setting("resume").empty());
    if (crawl_ != ctx.run_id()) spdlog::info("maricopa_api '{}': resuming crawl {}", node_.id, crawl_);
  }

  std::vector<std::string> failures;
  for (const auto& q : queries_)
    if (!crawl(q, ctx, out, failures)) break;
  spdlog::info("maricopa_api '{}': {} records from {} quer{}", node_.id, emitted_, queries_.size(),
               queries_.size() == 1 ? "y" : "ies");
  if (ctx.stopping()) {
    spdlog::info("maricopa_api '{}': stopped on request", node_.id);
    return;
  }
  if (checkpoints_ && failures.empty()) checkpoints_->finish(crawl_);
  if (!failures.empty()) {
    std::string msg = "maricopa_api '" + node_.id + "': " + std::to_string(failures.size()) +
                      " search request(s) failed, so some parcels are missing: " + failures.front();
    if (failures.size() > 1) msg += " (and " + std::to_string(failures.size() - 1) + " more)";
    for (const auto& f : failures) spdlog::error("maricopa_api '{}': {}", node_.id, f);
    throw FatalError(client_->redact(msg));
  }
}

}  // namespace flowrun::maricopa
