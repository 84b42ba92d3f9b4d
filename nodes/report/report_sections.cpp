// The run, headline, data-quality and last-runs sections. Every count here is defined once (see
// docs/report.md) so the headline, the runs table and the charts agree.
#include <algorithm>
#include <regex>
#include <set>

#include "nodes/report/report_format.hpp"
#include "nodes/report/report_model.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::report::detail {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}
double num(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_number() ? v->to_number<double>() : 0;
}
const json::array& arr(const json::object& o, const char* k) {
  static const json::array none;
  auto* v = o.if_contains(k);
  return v && v->is_array() ? v->get_array() : none;
}

bool in_run(const Property& p, const RunRow& r) {
  return p.first_seen >= ts19(r.started_at) && p.first_seen <= ts19(r.end());
}

std::set<std::string> run_ids(const Period& p) {
  std::set<std::string> ids;
  for (const auto* r : p.runs) ids.insert(r->run_id);
  return ids;
}

// Properties whose price moved in one of `runs` (distinct ids).
std::set<const Property*> repriced(const StoreData& d, const std::set<std::string>& runs) {
  std::set<const Property*> out;
  for (const auto& c : d.price_changes)
    if (runs.count(c.run_id)) out.insert(c.property);
  return out;
}

// Groups (key -> count, first three examples) in first-seen order, then sorts by count.
struct Groups {
  struct G {
    json::object key;
    std::int64_t count = 0;
    json::array examples;
  };
  std::vector<G> groups;
  std::map<std::string, std::size_t> index;
  void add(const std::string& id, const json::object& key, json::value example) {
    auto [it, fresh] = index.emplace(id, groups.size());
    if (fresh) groups.push_back({key, 0, {}});
    auto& g = groups[it->second];
    ++g.count;
    if (g.examples.size() < 3) g.examples.push_back(std::move(example));
  }
  json::array to_json() {
    std::stable_sort(groups.begin(), groups.end(), [](const G& a, const G& b) { return a.count > b.count; });
    json::array out;
    for (auto& g : groups) {
      json::object o = g.key;
      o["count"] = g.count;
      o["examples"] = std::move(g.examples);
      out.push_back(std::move(o));
    }
    return out;
  }
};

// "price: range: price 10 is below the minimum 100" -> "price: range": records that failed the same
// rule are one group whatever their values; a reason without that shape is its own group.
std::string field_and_rule(const std::string& reason) {
  static const std::regex shape(R"(^([A-Za-z0-9_.\[\]-]+: [A-Za-z0-9_]+): .+)");
  std::smatch m;
  return std::regex_match(reason, m, shape) ? m[1].str() : reason;
}

}  // namespace

json::object run_section(const Period& p, const ReportOptions& opts) {
  if (!p.latest) return {};
  const auto& r = *p.latest;
  json::array warnings;
  for (const auto& w : arr(r.summary, "warnings")) warnings.push_back(w);
  return json::object{{"run_id", r.run_id},
                      {"pipeline", r.pipeline},
                      {"status", r.status},
                      {"started_at", r.started_at},
                      {"finished_at", r.finished_at.empty() ? json::value(nullptr) : json::value(r.finished_at)},
                      {"duration_ms", r.duration_ms},
                      {"failure", str(r.summary, "failure")},
                      {"warnings", std::move(warnings)},
                      {"timezone", opts.timezone}};
}

json::object headline_section(const StoreData& d, const Period& p) {
  json::object h;
  std::map<std::string, double> per_source;
  double source_records = 0, dead_letters = 0, failed_runs = 0;
  for (const auto* r : p.runs) {
    for (const auto& n : arr(r->summary, "nodes"))
      if (n.is_object() && str(n.get_object(), "role") == "source")
        per_source[str(n.get_object(), "id")] += num(n.get_object(), "out");
    source_records += num(r->summary, "source_records");
    dead_letters += num(r->summary, "dead_letters");
    failed_runs += r->status != "ok" && r->status != "running";
  }
  json::array sources;
  for (const auto& [id, n] : per_source) sources.push_back(json::object{{"source", id}, {"records", n}});

  const auto changed_prices = repriced(d, run_ids(p));
  std::int64_t seen = 0, fresh = 0, fresh_listings = 0, changed = 0;
  for (const auto& prop : d.properties) {
    if (prop.last_seen < p.start) continue;
    ++seen;
    if (p.contains(prop.first_seen)) {
      ++fresh;
      fresh_listings += prop.is_listing();
    } else if (p.contains(prop.last_changed) || changed_prices.count(&prop)) {
      ++changed;
    }
  }
  h["runs"] = static_cast<std::int64_t>(p.runs.size());
  h["failed_runs"] = failed_runs;
  h["sources"] = std::move(sources);
  h["source_records"] = source_records;
  h["seen"] = seen;
  h["new"] = fresh;
  h["new_listings"] = fresh_listings;
  h["new_parcels"] = fresh - fresh_listings;
  h["changed"] = changed;
  h["price_changes"] = static_cast<std::int64_t>(changed_prices.size());
  h["unchanged"] = seen - fresh - changed;
  h["dead_letters"] = dead_letters;
  return h;
}

json::object quality_section(store::Store& st, const StoreData& d, const Period& p) {
  json::object q;
  // Dead letters of the period's runs, grouped by node and reason.
  Groups dl;
  std::int64_t stored_dead = 0;
  for (const auto* r : p.runs)
    for (const auto& row : st.query("SELECT node, reason, record_id FROM dead_letters WHERE run_id = ? ORDER BY id",
                                    {r->run_id})) {
      const std::string node = row[0].value_or(""), reason = row[1].value_or("");
      const std::string group = field_and_rule(reason);
      dl.add(node + "\n" + group, json::object{{"node", node}, {"reason", group}},
             json::object{{"id", row[2].value_or("")}, {"message", reason}});
      ++stored_dead;
    }
  q["dead_letters"] = dl.to_json();
  q["dead_letters_stored"] = stored_dead;

  // Validator warnings on the properties seen in the period, grouped by field and rule.
  Groups warn;
  for (const auto& prop : d.properties) {
    if (prop.last_seen < p.start || !prop.body) continue;
    auto* ws = prop.body->if_contains("warnings");
    if (!ws || !ws->is_array()) continue;
    for (const auto& w : ws->get_array()) {
      if (!w.is_object()) continue;
      const auto& o = w.get_object();
      const std::string field = str(o, "field"), rule = str(o, "rule");
      warn.add(field + "\n" + rule, json::object{{"field", field}, {"rule", rule}},
               json::object{{"id", prop.id}, {"message", str(o, "message")}});
    }
  }
  q["validator_warnings"] = warn.to_json();

  json::array run_warnings;
  for (const auto* r : p.runs)
    for (const auto& w : arr(r->summary, "warnings")) run_warnings.push_back(w);
  q["run_warnings"] = std::move(run_warnings);

  json::object llm;
  for (const char* k : {"calls", "cache_hits", "cache_misses", "tokens", "cost", "pending", "unavailable", "invalid_replies"}) {
    double sum = 0;
    for (const auto* r : p.runs) sum += summary_counter(r->summary, ("llm." + std::string(k)).c_str());
    llm[k] = sum;
  }
  auto pending = st.query("SELECT COUNT(*) FROM pending_enrichment");
  llm["pending_now"] = pending.empty() || !pending[0][0] ? 0.0 : std::stod(*pending[0][0]);
  q["llm"] = std::move(llm);

  std::map<std::string, std::pair<double, double>> waits;  // name -> (waits, waited ms)
  for (const auto* r : p.runs)
    if (auto* rs = r->summary.if_contains("resources"); rs && rs->is_object())
      for (const auto& [name, v] : rs->get_object())
        if (v.is_object() && str(v.get_object(), "kind") == "rate_limit") {
          auto& w = waits[std::string(name)];
          w.first += num(v.get_object(), "waits"), w.second += num(v.get_object(), "waited_ms");
        }
  json::array rl;
  for (const auto& [name, w] : waits) rl.push_back(json::object{{"name", name}, {"waits", w.first}, {"waited_ms", w.second}});
  q["rate_limits"] = std::move(rl);

  if (p.latest) {
    q["nodes"] = arr(p.latest->summary, "nodes");
    q["edges"] = arr(p.latest->summary, "edges");
  }
  return q;
}

json::array runs_section(const StoreData& d, const Period& p) {
  if (!p.latest) return {};
  // The period's runs, and at least the last 7 up to the report's run.
  std::vector<const RunRow*> rows;
  for (const auto& r : d.runs)
    if (ts19(r.started_at) <= ts19(p.latest->started_at)) rows.push_back(&r);
  const std::size_t keep = std::max<std::size_t>(7, p.runs.size());
  if (rows.size() > keep) rows.erase(rows.begin(), rows.end() - static_cast<std::ptrdiff_t>(keep));
  json::array out;
  for (const auto* r : rows) {
    std::int64_t fresh = 0, fresh_listings = 0;
    for (const auto& prop : d.properties)
      if (in_run(prop, *r)) ++fresh, fresh_listings += prop.is_listing();
    const auto changed = repriced(d, {r->run_id});
    out.push_back(json::object{{"run_id", r->run_id},
                               {"started_at", r->started_at},
                               {"status", r->status},
                               {"duration_ms", r->duration_ms},
                               {"source_records", num(r->summary, "source_records")},
                               {"new", fresh},
                               {"new_listings", fresh_listings},
                               {"price_changes", static_cast<std::int64_t>(changed.size())},
                               {"dead_letters", num(r->summary, "dead_letters")},
                               {"llm_calls", summary_counter(r->summary, "llm.calls")},
                               {"llm_tokens", summary_counter(r->summary, "llm.tokens")},
                               {"failure", str(r->summary, "failure")}});
  }
  return out;
}

}  // namespace flowrun::report::detail
