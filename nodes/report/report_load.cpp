// Reads what the report needs from the store in a few queries (SQL both dialects understand),
// and the helpers the sections share.
#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nodes/report/report_format.hpp"
#include "nodes/report/report_model.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::report {

namespace json = boost::json;
using store::Row;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

namespace detail {

namespace {

std::string s(const Row& r, std::size_t i) { return i < r.size() && r[i] ? *r[i] : ""; }
std::optional<double> opt(const Row& r, std::size_t i) {
  if (i >= r.size() || !r[i] || r[i]->empty()) return std::nullopt;
  try {
    return std::stod(*r[i]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

json::object parse_object(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return !ec && v.is_object() ? std::move(v.get_object()) : json::object{};
}

std::vector<RunRow> load_runs(store::Store& st) {
  std::vector<RunRow> runs;
  for (const auto& r : st.query("SELECT run_id, pipeline, started_at, finished_at, status, duration_ms, summary "
                                "FROM runs ORDER BY started_at, run_id")) {
    RunRow run{s(r, 0), s(r, 1), s(r, 2), s(r, 3), s(r, 4), opt(r, 5).value_or(0), parse_object(s(r, 6))};
    if (run.status == "running") run.finished_at.clear();  // its window is still open
    runs.push_back(std::move(run));
  }
  return runs;
}

std::vector<Property> load_properties(store::Store& st) {
  std::vector<Property> props;
  for (const auto& r : st.query("SELECT id, COALESCE(source, ''), COALESCE(zip, ''), first_seen, last_seen, "
                                "last_changed, COALESCE(last_run_id, ''), price, assessed_value, full_cash_value "
                                "FROM properties ORDER BY id")) {
    Property p;
    p.id = s(r, 0), p.source = s(r, 1), p.zip = s(r, 2), p.first_seen = ts19(s(r, 3)), p.last_seen = ts19(s(r, 4));
    p.last_changed = ts19(s(r, 5)), p.last_run_id = s(r, 6);
    p.price = opt(r, 7), p.assessed_value = opt(r, 8), p.full_cash_value = opt(r, 9);
    props.push_back(std::move(p));
  }
  return props;
}

// History rows come ordered by id like the properties, so one merge pass attaches them.
void attach_history(store::Store& st, std::vector<Property>& props) {
  auto it = props.begin();
  for (const auto& r : st.query("SELECT id, seen_at, COALESCE(run_id, ''), price FROM property_history "
                                "ORDER BY id, seen_at")) {
    const std::string id = s(r, 0);
    while (it != props.end() && it->id < id) ++it;
    if (it == props.end()) break;
    if (it->id == id) it->history.push_back({ts19(s(r, 1)), s(r, 2), opt(r, 3)});
  }
}

std::vector<PriceChange> price_changes_of(const std::vector<Property>& props) {
  std::vector<PriceChange> out;
  for (const auto& p : props) {
    std::optional<double> last;
    for (const auto& h : p.history) {
      if (h.price && last && *h.price != *last) out.push_back({&p, h.at, h.run_id, *last, *h.price});
      if (h.price) last = h.price;
    }
  }
  std::sort(out.begin(), out.end(), [](const PriceChange& a, const PriceChange& b) { return a.at < b.at; });
  return out;
}

// Bodies are parsed only for what a section shows: listings (market view, table), county parcels
// with a value (their address gives a listing its county value) and whatever was seen in the
// period (warnings, new parcels).
void load_bodies(store::Store& st, StoreData& d, const std::string& since) {
  for (const auto& r : st.query("SELECT id, body FROM properties "
                                "WHERE price IS NOT NULL OR full_cash_value IS NOT NULL OR last_seen >= ?",
                                {since})) {
    auto o = parse_object(s(r, 1));
    if (!o.empty()) d.bodies.emplace(s(r, 0), std::move(o));
  }
  for (auto& p : d.properties)
    if (auto it = d.bodies.find(p.id); it != d.bodies.end()) p.body = &it->second;
}

// The UTC time (ts19) of local midnight `days_back` days before the local day of `iso`.
std::string local_midnight_before(const std::string& iso, int days_back, const std::string& tz) {
  auto t = parse_utc(iso);
  if (!t) return iso;
  if (tz == "UTC") {
    auto day = date::floor<date::days>(*t) - date::days{days_back};
    return date::format("%FT%T", date::sys_seconds{day});
  }
  const auto* z = date::locate_zone(tz);
  auto local = z->to_local(*t);
  auto day = date::floor<date::days>(local) - date::days{days_back};
  auto utc = z->to_sys(date::local_seconds{day}, date::choose::earliest);
  return date::format("%FT%T", utc);
}

}  // namespace

std::optional<double> Property::price_at(const std::string& t) const {
  std::optional<double> at;
  for (const auto& h : history) {
    if (h.at > t) break;
    if (h.price) at = h.price;
  }
  return at ? at : (history.empty() ? price : std::nullopt);
}

bool Period::contains(const std::string& t) const { return !t.empty() && t >= start && t <= end; }

StoreData load(store::Store& st, const ReportOptions& opts) {
  StoreData d;
  d.runs = load_runs(st);
  d.properties = load_properties(st);
  attach_history(st, d.properties);
  d.price_changes = price_changes_of(d.properties);
  // Everything a section may show was seen in the period; the widest is the 30-day market view.
  std::string since = "9999";
  if (!d.runs.empty()) {
    const auto& latest = d.runs.back();
    since = local_midnight_before(latest.started_at, std::max(opts.period_days, 1), opts.timezone);
  }
  load_bodies(st, d, since);
  return d;
}

Period period_of(const StoreData& d, const ReportOptions& opts) {
  Period p;
  const RunRow* latest = nullptr;
  for (const auto& r : d.runs)
    if (opts.run_id.empty() || r.run_id == opts.run_id) latest = &r;
  if (!latest) {
    if (!opts.run_id.empty()) throw std::runtime_error("no run '" + opts.run_id + "' in the store");
    return p;
  }
  p.latest = latest;
  p.end = ts19(latest->end());
  p.start = opts.period_days <= 1 ? ts19(latest->started_at)
                                  : local_midnight_before(latest->started_at, opts.period_days - 1, opts.timezone);
  for (const auto& r : d.runs)
    if (ts19(r.started_at) >= p.start && ts19(r.started_at) <= ts19(latest->started_at)) p.runs.push_back(&r);
  return p;
}

bool Property::is_listing() const {
  if (price) return true;
  if (!body) return false;
  auto has_text = [&](const char* k) {
    auto* v = body->if_contains(k);
    return v && v->is_string() && !v->get_string().empty();
  };
  // A county parcel has an APN and neither a list price nor an MLS number.
  return has_text("mls_id") || !has_text("apn");
}

double summary_counter(const json::object& summary, const char* name) {
  auto* cs = summary.if_contains("counters");
  if (!cs || !cs->is_object()) return 0;
  auto* v = cs->get_object().if_contains(name);
  return v && v->is_number() ? v->to_number<double>() : 0;
}

std::optional<double> median_of(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  return median(std::move(v));
}

std::optional<double> pct_change(std::optional<double> from, std::optional<double> to) {
  if (!from || !to || *from == 0) return std::nullopt;
  return (*to - *from) / *from * 100;
}

}  // namespace detail
}  // namespace flowrun::report
