// Gathers the report from the store with SQL both dialects understand.
#include <algorithm>
#include <cmath>
#include <map>

#include "nodes/report/report.hpp"
#include "nodes/store/record_rows.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::report {

namespace json = boost::json;
using store::Row;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

namespace {

double quantile_sorted(const std::vector<double>& v, double q) {
  // linear interpolation between closest ranks
  double pos = q * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(pos));
  auto hi = static_cast<std::size_t>(std::ceil(pos));
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

json::object stats(std::vector<double> v) {
  json::object o{{"count", static_cast<std::int64_t>(v.size())}};
  if (v.empty()) return o;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  o["min"] = v.front();
  o["p25"] = quantile_sorted(v, 0.25);
  o["median"] = median(v);
  o["p75"] = quantile_sorted(v, 0.75);
  o["max"] = v.back();
  o["mean"] = sum / static_cast<double>(v.size());
  return o;
}

std::string s(const Row& r, std::size_t i) { return i < r.size() && r[i] ? *r[i] : ""; }
double d(const Row& r, std::size_t i) {
  try {
    return i < r.size() && r[i] ? std::stod(*r[i]) : 0.0;
  } catch (...) {
    return 0.0;
  }
}
std::int64_t n(const Row& r, std::size_t i) { return static_cast<std::int64_t>(std::llround(d(r, i))); }

json::value parse_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

double counter(const json::value& summary, const char* name) {
  if (!summary.is_object()) return 0;
  auto* cs = summary.get_object().if_contains("counters");
  if (!cs || !cs->is_object()) return 0;
  auto* v = cs->get_object().if_contains(name);
  if (!v) return 0;
  return v->is_double() ? v->get_double() : v->is_int64() ? static_cast<double>(v->get_int64()) : 0;
}

const char* kRunCols =
    "run_id, pipeline, started_at, finished_at, status, duration_ms, inserted, updated, unchanged, "
    "dead_letters, tokens, cost, summary";

json::object run_object(const Row& r) {
  return json::object{{"run_id", s(r, 0)},      {"pipeline", s(r, 1)},   {"started_at", s(r, 2)},
                      {"finished_at", s(r, 3)}, {"status", s(r, 4)},     {"duration_ms", d(r, 5)},
                      {"inserted", n(r, 6)},    {"updated", n(r, 7)},    {"unchanged", n(r, 8)},
                      {"dead_letters", n(r, 9)}, {"tokens", d(r, 10)},   {"cost", d(r, 11)}};
}

}  // namespace

json::object collect_report(store::Store& st, const std::string& run_id_in) {
  json::object rep;
  rep["generated_at"] = store::iso_now();
  rep["store"] = st.kind();

  std::vector<Row> run_rows =
      run_id_in.empty()
          ? st.query(std::string("SELECT ") + kRunCols + " FROM runs ORDER BY started_at DESC LIMIT 1")
          : st.query(std::string("SELECT ") + kRunCols + " FROM runs WHERE run_id = ?", {run_id_in});
  std::string run_id = run_id_in;
  json::value summary = nullptr;
  if (!run_rows.empty()) {
    const Row& r = run_rows[0];
    run_id = s(r, 0);
    rep["run"] = run_object(r);
    summary = parse_or_null(s(r, 12));
  } else {
    rep["run"] = nullptr;
  }

  // Per node and resources come from the run's own summary (absent while it is still running).
  json::array nodes;
  json::object resources;
  if (summary.is_object()) {
    if (auto* ns = summary.get_object().if_contains("nodes"); ns && ns->is_array()) nodes = ns->get_array();
    if (auto* rs = summary.get_object().if_contains("resources"); rs && rs->is_object()) resources = rs->get_object();
  }
  rep["nodes"] = nodes;
  json::object waits;
  for (const auto& [name, v] : resources)
    if (v.is_object()) {
      auto* kind = v.get_object().if_contains("kind");
      if (kind && kind->is_string() && kind->get_string() == "rate_limit") waits[name] = v;
    }
  rep["rate_limits"] = waits;
  rep["resources"] = resources;
  rep["llm"] = json::object{{"calls", counter(summary, "llm.calls")},
                            {"cache_hits", counter(summary, "llm.cache_hits")},
                            {"cache_misses", counter(summary, "llm.cache_misses")},
                            {"tokens", counter(summary, "llm.tokens")},
                            {"cost", counter(summary, "llm.cost")}};

  // New / updated / unchanged of this run, by source and by ZIP, from the properties it touched.
  json::object totals{{"inserted", 0}, {"updated", 0}, {"unchanged", 0}};
  json::object by_source, by_zip;
  for (const auto& r : st.query("SELECT COALESCE(source, ''), COALESCE(zip, ''), last_status, COUNT(*) "
                                "FROM properties WHERE last_run_id = ? GROUP BY 1, 2, 3",
                                {run_id})) {
    const std::string status = s(r, 2);
    const std::int64_t c = n(r, 3);
    auto add = [&](json::object& m, const std::string& key) {
      auto& o = m[key.empty() ? "(none)" : key];
      if (!o.is_object()) o = json::object{{"inserted", 0}, {"updated", 0}, {"unchanged", 0}};
      auto& slot = o.get_object()[status];
      slot = (slot.is_int64() ? slot.get_int64() : 0) + c;
    };
    add(by_source, s(r, 0));
    add(by_zip, s(r, 1));
    auto& t = totals[status];
    t = (t.is_int64() ? t.get_int64() : 0) + c;
  }
  rep["totals"] = totals;
  rep["by_source"] = by_source;
  rep["by_zip"] = by_zip;
  auto count = st.query("SELECT COUNT(*) FROM properties");
  rep["properties_in_store"] = count.empty() ? 0 : n(count[0], 0);
  auto pending = st.query("SELECT COUNT(*) FROM pending_enrichment");
  rep["pending_enrichment"] = pending.empty() ? 0 : n(pending[0], 0);

  // Price and assessed-value statistics over the properties seen in this run (a real median:
  // all values are fetched and sorted, no approximation).
  std::vector<double> prices, assessed, fcv;
  std::map<std::string, std::vector<double>> zip_prices;
  for (const auto& r : st.query("SELECT price, assessed_value, full_cash_value, COALESCE(zip, '') "
                                "FROM properties WHERE last_run_id = ?",
                                {run_id})) {
    if (r[0]) prices.push_back(d(r, 0)), zip_prices[s(r, 3)].push_back(d(r, 0));
    if (r[1]) assessed.push_back(d(r, 1));
    if (r[2]) fcv.push_back(d(r, 2));
  }
  rep["price"] = stats(prices);
  rep["assessed_value"] = stats(assessed);
  rep["full_cash_value"] = stats(fcv);
  json::object zp;
  for (auto& [zip, v] : zip_prices) zp[zip.empty() ? "(none)" : zip] = stats(std::move(v));
  rep["price_by_zip"] = zp;

  json::array dls;
  for (const auto& r : st.query("SELECT node, reason, COUNT(*) FROM dead_letters WHERE run_id = ? "
                                "GROUP BY node, reason ORDER BY 3 DESC, 1, 2 LIMIT 200",
                                {run_id}))
    dls.push_back(json::object{{"node", s(r, 0)}, {"reason", s(r, 1)}, {"count", n(r, 2)}});
  rep["dead_letters"] = dls;
  json::array errs;
  for (const auto& nv : nodes)
    if (nv.is_object()) {
      const auto& o = nv.get_object();
      auto* e = o.if_contains("errors");
      if (e && e->is_int64() && e->get_int64() > 0)
        errs.push_back(json::object{{"node", o.at("id")}, {"errors", *e}});
    }
  rep["node_errors"] = errs;

  // Trends: the last 7 runs, oldest first.
  json::array trend;
  auto last = st.query(std::string("SELECT ") + kRunCols + " FROM runs ORDER BY started_at DESC LIMIT 7");
  for (auto it = last.rbegin(); it != last.rend(); ++it) {
    auto o = run_object(*it);
    auto sm = parse_or_null(s(*it, 12));
    o["llm_calls"] = counter(sm, "llm.calls");
    o["cache_hits"] = counter(sm, "llm.cache_hits");
    trend.push_back(std::move(o));
  }
  rep["trend"] = trend;
  return rep;
}

}  // namespace flowrun::report
