// New listings and price changes (the table an investor reads first) and the market per ZIP.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "nodes/report/report_format.hpp"
#include "nodes/report/report_model.hpp"

namespace flowrun::report::detail {

namespace json = boost::json;

namespace {

const json::value* path(const json::object* o, std::initializer_list<const char*> keys) {
  const json::value* v = nullptr;
  for (const char* k : keys) {
    if (!o) return nullptr;
    v = o->if_contains(k);
    if (!v) return nullptr;
    o = v->is_object() ? &v->get_object() : nullptr;
  }
  return v;
}
std::string text(const json::object* o, std::initializer_list<const char*> keys) {
  auto* v = path(o, keys);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}
json::value number(const json::object* o, std::initializer_list<const char*> keys) {
  auto* v = path(o, keys);
  return v && v->is_number() ? json::value(v->to_number<double>()) : json::value(nullptr);
}
json::value opt_json(std::optional<double> v) { return v ? json::value(*v) : json::value(nullptr); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
// Street + unit + ZIP: how a listing finds the county parcel at the same address.
std::string address_key(const json::object* body) {
  const std::string street = text(body, {"address", "street"}), zip = text(body, {"address", "zip"});
  if (street.empty() || zip.empty()) return "";
  return lower(street) + "|" + lower(text(body, {"address", "unit"})) + "|" + zip;
}

std::optional<double> sqft_of(const Property& p) {
  auto* v = path(p.body, {"sqft"});
  if (v && v->is_number() && v->to_number<double>() > 0) return v->to_number<double>();
  return std::nullopt;
}

std::string address_line(const json::object* body) {
  std::string street = text(body, {"address", "street"});
  if (street.empty()) return "(address not disclosed)";
  if (auto unit = text(body, {"address", "unit"}); !unit.empty()) street += " #" + unit;
  if (auto city = text(body, {"address", "city"}); !city.empty()) street += ", " + city;
  return street;
}

json::object listing_row(const Property& p, const char* kind, std::optional<double> previous,
                         const std::map<std::string, const Property*>& parcels) {
  const auto* b = p.body;
  json::object r;
  r["id"] = p.id;
  r["kind"] = kind;
  r["address"] = address_line(b);
  r["zip"] = p.zip;
  r["property_type"] = text(b, {"property_type"});
  r["price"] = opt_json(p.price);
  r["previous_price"] = opt_json(previous);
  r["price_change"] = previous && p.price ? json::value(*p.price - *previous) : json::value(nullptr);
  r["price_change_pct"] = opt_json(pct_change(previous, p.price));
  const auto sqft = sqft_of(p);
  r["price_per_sqft"] = p.price && sqft ? json::value(*p.price / *sqft) : json::value(nullptr);
  r["beds"] = number(b, {"beds"});
  r["baths"] = number(b, {"baths"});
  r["sqft"] = opt_json(sqft);
  r["year_built"] = number(b, {"year_built"});
  // The county's full cash value: the listing's own, or the parcel's at the same address.
  std::optional<double> county = p.full_cash_value;
  std::string county_from = county ? p.id : "";
  if (!county)
    if (auto it = parcels.find(address_key(b)); it != parcels.end())
      county = it->second->full_cash_value, county_from = it->second->id;
  r["county_value"] = opt_json(county);
  r["county_value_from"] = county_from;
  r["price_to_county_value"] = p.price && county && *county > 0 ? json::value(*p.price / *county) : json::value(nullptr);
  r["cap_rate"] = number(b, {"enrichment", "investment", "cap_rate"});
  r["rental_estimate"] = number(b, {"enrichment", "investment", "rental_estimate"});
  r["recommendation"] = text(b, {"enrichment", "investment", "recommendation"});
  r["market_trend"] = text(b, {"enrichment", "investment", "market_trend"});
  json::array features;
  if (auto* f = path(b, {"enrichment", "key_features"}); f && f->is_array())
    for (const auto& x : f->get_array())
      if (x.is_string()) features.push_back(x);
  r["key_features"] = std::move(features);
  r["description"] = text(b, {"enrichment", "description"});
  std::string url = text(b, {"attributes", "url"});
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) url.clear();  // links only to the web
  r["url"] = url;
  r["source"] = p.source;
  r["first_seen"] = p.first_seen + "Z";
  return r;
}

double sort_num(const json::object& r, const char* k, double missing) {
  auto* v = r.if_contains(k);
  return v && v->is_number() ? v->to_number<double>() : missing;
}

struct Snapshot {
  const RunRow* run = nullptr;
  std::map<std::string, std::vector<double>> prices, ppsf;  // by ZIP
};

// The listings on the market during `run`: first seen by its end and seen again at or after its
// start (a listing seen before and after a day was on the market that day), at their price then.
Snapshot snapshot(const StoreData& d, const RunRow& run) {
  Snapshot s;
  s.run = &run;
  const std::string from = ts19(run.started_at), to = ts19(run.end());
  for (const auto& p : d.properties) {
    if (p.zip.empty() || !p.is_listing() || p.first_seen > to || p.last_seen < from) continue;
    auto price = p.price_at(to);
    if (!price) continue;
    s.prices[p.zip].push_back(*price);
    if (auto sqft = sqft_of(p)) s.ppsf[p.zip].push_back(*price / *sqft);
  }
  return s;
}

// The run closest to `days` before `latest`, if one lies within a day and a half of that time.
const RunRow* run_near(const StoreData& d, const RunRow& latest, int days) {
  auto t = parse_utc(latest.started_at);
  if (!t) return nullptr;
  const auto target = *t - std::chrono::hours(24 * days);
  const RunRow* best = nullptr;
  long long best_gap = 36 * 3600;
  for (const auto& r : d.runs) {
    if (&r == &latest || r.status == "running") continue;
    auto rt = parse_utc(r.started_at);
    if (!rt) continue;
    const long long gap = std::llabs((*rt - target).count());
    if (gap <= best_gap) best = &r, best_gap = gap;
  }
  return best;
}

std::optional<double> med(const std::map<std::string, std::vector<double>>& m, const std::string& zip) {
  auto it = m.find(zip);
  return it == m.end() ? std::nullopt : median_of(it->second);
}

}  // namespace

json::array listings_section(const StoreData& d, const Period& p) {
  std::map<std::string, const Property*> parcels;
  for (const auto& prop : d.properties)
    if (!prop.is_listing() && prop.full_cash_value)
      if (auto key = address_key(prop.body); !key.empty()) parcels.emplace(key, &prop);

  std::set<std::string> runs;
  for (const auto* r : p.runs) runs.insert(r->run_id);
  std::map<const Property*, double> before;  // price before the period's first change
  for (const auto& c : d.price_changes)
    if (runs.count(c.run_id)) before.emplace(c.property, c.from);

  json::array changes, fresh;
  for (const auto& prop : d.properties) {
    if (!prop.is_listing()) continue;
    auto it = before.find(&prop);
    const bool is_new = p.contains(prop.first_seen);
    if (is_new) fresh.push_back(listing_row(prop, "new", std::nullopt, parcels));
    else if (it != before.end()) changes.push_back(listing_row(prop, "price_change", it->second, parcels));
  }
  // Biggest price cuts first, then new listings by the LLM's cap rate (unknown last).
  auto by = [](const char* k, double missing, bool asc) {
    return [=](const json::value& a, const json::value& b) {
      const double x = sort_num(a.get_object(), k, missing), y = sort_num(b.get_object(), k, missing);
      return asc ? x < y : x > y;
    };
  };
  std::stable_sort(changes.begin(), changes.end(), by("price_change_pct", 1e300, true));
  std::stable_sort(fresh.begin(), fresh.end(), by("cap_rate", -1e300, false));
  for (auto& r : fresh) changes.push_back(std::move(r));
  return changes;
}

json::object market_section(const StoreData& d, const Period& p, const ReportOptions& opts) {
  json::object m;
  if (!p.latest) return m;
  const Snapshot now = snapshot(d, *p.latest);
  const RunRow* r7 = run_near(d, *p.latest, 7);
  const RunRow* r30 = run_near(d, *p.latest, 30);
  const Snapshot s7 = r7 ? snapshot(d, *r7) : Snapshot{};
  const Snapshot s30 = r30 ? snapshot(d, *r30) : Snapshot{};
  m["compared_with_7d"] = r7 ? json::value(r7->started_at) : json::value(nullptr);
  m["compared_with_30d"] = r30 ? json::value(r30->started_at) : json::value(nullptr);

  json::array zips;
  for (const auto& [zip, prices] : now.prices) {
    const auto mp = median_of(prices), mpsf = med(now.ppsf, zip);
    const auto mp7 = med(s7.prices, zip), mp30 = med(s30.prices, zip);
    const auto ps7 = med(s7.ppsf, zip), ps30 = med(s30.ppsf, zip);
    zips.push_back(json::object{{"zip", zip},
                                {"count", static_cast<std::int64_t>(prices.size())},
                                {"median_price", opt_json(mp)},
                                {"median_price_per_sqft", opt_json(mpsf)},
                                {"median_price_7d_ago", opt_json(mp7)},
                                {"median_price_30d_ago", opt_json(mp30)},
                                {"median_price_change_7d_pct", opt_json(pct_change(mp7, mp))},
                                {"median_price_change_30d_pct", opt_json(pct_change(mp30, mp))},
                                {"median_price_per_sqft_7d_ago", opt_json(ps7)},
                                {"median_price_per_sqft_30d_ago", opt_json(ps30)},
                                {"median_price_per_sqft_change_7d_pct", opt_json(pct_change(ps7, mpsf))},
                                {"median_price_per_sqft_change_30d_pct", opt_json(pct_change(ps30, mpsf))}});
  }
  m["zips"] = std::move(zips);

  // The last 30 days, one point per local day (its last run): medians per ZIP, and activity.
  const std::string day_now = local_day(p.latest->started_at, opts.timezone);
  std::map<std::string, const RunRow*> last_run_of_day;
  for (const auto& r : d.runs)
    if (ts19(r.started_at) <= ts19(p.latest->started_at) && r.status != "running") last_run_of_day[local_day(r.started_at, opts.timezone)] = &r;
  if (p.latest->status == "running") last_run_of_day[day_now] = p.latest;
  while (last_run_of_day.size() > 30) last_run_of_day.erase(last_run_of_day.begin());
  std::map<std::string, std::pair<std::set<const Property*>, std::int64_t>> activity;  // day -> (repriced, new listings)
  for (const auto& c : d.price_changes) activity[local_day(c.at + "Z", opts.timezone)].first.insert(c.property);
  for (const auto& prop : d.properties)
    if (prop.is_listing()) ++activity[local_day(prop.first_seen + "Z", opts.timezone)].second;
  json::array days;
  for (const auto& [day, run] : last_run_of_day) {
    const Snapshot s = snapshot(d, *run);
    json::object medians;
    for (const auto& [zip, prices] : s.prices) medians[zip] = *median_of(prices);
    const auto& a = activity[day];
    days.push_back(json::object{{"date", day},
                                {"run_id", run->run_id},
                                {"median_price_by_zip", std::move(medians)},
                                {"new_listings", a.second},
                                {"price_changes", static_cast<std::int64_t>(a.first.size())}});
  }
  m["days"] = std::move(days);
  return m;
}

}  // namespace flowrun::report::detail
