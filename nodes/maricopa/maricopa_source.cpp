#include "nodes/maricopa/maricopa_source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "engine/context.hpp"

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

MaricopaSource::MaricopaSource(const NodeConfig& cfg) : cfg_(cfg) {
  auto where = [&] { return "node '" + cfg.id() + "': "; };
  base_url_ = cfg.get_string("base_url", "https://mcassessor.maricopa.gov");
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  if (base_url_.rfind("http://", 0) != 0 && base_url_.rfind("https://", 0) != 0)
    throw std::invalid_argument(where() + "base_url must start with http:// or https://");
  api_key_ = cfg.get_string("api_key", "");
  search_ = cfg.get_string("search", "property");
  if (search_ != "property" && search_ != "sub" && search_ != "rental")
    throw std::invalid_argument(where() + "search must be property, sub or rental, not '" + search_ + "'");
  queries_ = cfg.get_list("queries");
  for (auto& z : cfg.get_list("zips")) queries_.push_back(z);
  std::erase_if(queries_, [](const std::string& q) { return blank(q); });
  if (queries_.empty()) throw std::invalid_argument(where() + "needs at least one entry in queries (or zips)");
  details_ = cfg.get_list("details");
  for (const auto& d : details_) {
    const auto& names = detail_names();
    if (std::find(names.begin(), names.end(), d) == names.end()) {
      std::string all;
      for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
      throw std::invalid_argument(where() + "details has '" + d + "'; known: " + all);
    }
  }
  max_pages_ = cfg.get_int("max_pages", 0);
  limit_ = cfg.get_int("limit", 0);
  body_retries_ = static_cast<int>(cfg.get_int("body_retries", 2));
  if (max_pages_ < 0 || limit_ < 0 || body_retries_ < 0)
    throw std::invalid_argument(where() + "max_pages, limit and body_retries must be >= 0");
}

std::string MaricopaSource::search_url(const std::string& q, long long page) const {
  return base_url_ + "/search/" + search_ + "/?q=" + url_encode(q) + "&page=" + std::to_string(page);
}

std::string MaricopaSource::detail_url(const std::string& apn, const std::string& detail) const {
  std::string u = base_url_ + "/parcel/" + url_encode(apn);
  return detail == "parcel" ? u : u + "/" + detail;
}

void MaricopaSource::bad_key(long status) const {
  throw FatalError("maricopa_api '" + cfg_.id() + "': the assessor API answered HTTP " + std::to_string(status) +
                   " with an empty body to the first request, which is how it rejects a missing or "
                   "invalid token: check MARICOPA_API_KEY (sent as the AUTHORIZATION header). "
                   "Stopped without retrying.");
}

MaricopaSource::Fetched MaricopaSource::fetch(http::Client& main, const std::string& url) {
  for (int tries = 0;;) {
    // The first request goes through a client that does not retry 500: on this API a 500 with
    // an empty body means "bad token", and hammering it with the same token helps nobody.
    bool first = first_request_;
    http::Client& client = first ? *probe_ : main;
    http::Response r = client.get(url, headers_);
    first_request_ = false;
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
      if (tries++ < body_retries_) continue;
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
    if (max_pages_ > 0 && page > max_pages_) break;
    Fetched f;
    try {
      f = fetch(*client_, search_url(q, page));
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
        for (const auto& d : details_) {
          if (ctx.stopping()) return false;
          try {
            Fetched got = fetch(*client_, detail_url(apn, d));
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
      rec.env.source = cfg_.id();
      rec.env.source_id = !apn.empty() ? apn
                                       : search_ + ":" + q + ":" + std::to_string(page) + ":" + std::to_string(i + 1);
      rec.env.created_us = now_us();
      out.emit(std::move(rec));
      ++emitted_;
      if (limit_ > 0 && emitted_ >= limit_) return false;
    }
    seen += static_cast<long long>(rows.size());
    if (total >= 0 && seen >= total) break;
  }
  return true;
}

void MaricopaSource::run(RunContext& ctx, Emitter& out) {
  if (blank(api_key_))
    throw FatalError("maricopa_api '" + cfg_.id() +
                     "': api_key is empty; set MARICOPA_API_KEY and pass it as api_key: ${env.MARICOPA_API_KEY}");
  http::ClientOptions o = http::client_options_from(cfg_, ctx);
  o.secrets.push_back(api_key_);
  client_ = std::make_unique<http::Client>(o);
  http::ClientOptions p = o;
  if (p.retry.retry_statuses.empty()) p.retry.retry_statuses = {408, 429, 502, 503, 504};
  else p.retry.retry_statuses.erase(500);
  probe_ = std::make_unique<http::Client>(p);
  headers_ = {{"AUTHORIZATION", api_key_}, {"Accept", "application/json"}};
  first_request_ = true;
  emitted_ = 0;

  std::vector<std::string> failures;
  for (const auto& q : queries_)
    if (!crawl(q, ctx, out, failures)) break;
  spdlog::info("maricopa_api '{}': {} records from {} quer{}", cfg_.id(), emitted_, queries_.size(),
               queries_.size() == 1 ? "y" : "ies");
  if (ctx.stopping()) {
    spdlog::info("maricopa_api '{}': stopped on request", cfg_.id());
    return;
  }
  if (!failures.empty()) {
    std::string msg = "maricopa_api '" + cfg_.id() + "': " + std::to_string(failures.size()) +
                      " search request(s) failed, so some parcels are missing: " + failures.front();
    if (failures.size() > 1) msg += " (and " + std::to_string(failures.size() - 1) + " more)";
    for (const auto& f : failures) spdlog::error("maricopa_api '{}': {}", cfg_.id(), f);
    throw FatalError(client_->redact(msg));
  }
}

}  // namespace flowrun::maricopa
