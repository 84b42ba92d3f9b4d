// The end-of-run summary: built from our Graph plus the runtime counters, printed as a table on
// stderr or as JSON, and handed to run observers (the run ledger).
#include <fmt/format.h>

#include <algorithm>

#include "engine/graph.hpp"
#include "engine/metrics.hpp"

namespace flowrun {

RunSummary summarize(const Graph& graph, const std::vector<const NodeMetrics*>& metrics,
                     const std::vector<std::int64_t>& received,
                     const std::vector<std::vector<std::int64_t>>& port_counts,
                     const std::vector<std::string>& reasons) {
  RunSummary s;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& g = graph.nodes[i];
    const auto& m = *metrics[i];
    NodeSummary n;
    n.id = g.id;
    n.type = g.type;
    n.role = to_string(g.role());
    n.in = m.in;
    n.out = m.out;
    n.errors = m.errors;
    n.filtered = m.filtered;
    n.emitted = m.emitted;
    n.received = received[i];
    n.busy_ms = m.busy_us / 1000.0;
    n.p50_ms = m.latency.percentile_ms(0.50);
    n.p95_ms = m.latency.percentile_ms(0.95);
    n.max_queued = m.max_queued;
    n.max_in_flight = m.max_in_flight;
    n.buffer = g.buffer;
    n.concurrency = g.concurrency;
    n.stopped_reason = reasons[i];
    n.balanced = g.role() == Role::source || (n.in == n.received && n.in == n.out + n.errors + n.filtered);
    if (g.desc && g.desc->dead_letter) s.dead_letters += n.in;
    if (g.role() == Role::source) s.source_records += n.out + n.errors;
    s.nodes.push_back(std::move(n));
  }
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& in : graph.nodes[i].inputs) {
      int p = graph.index_of(in.node);
      if (p < 0) continue;
      auto ports = graph.nodes[p].ports();
      auto it = std::find(ports.begin(), ports.end(), in.port);
      EdgeSummary e{in.node, in.port, graph.nodes[i].id, false, 0};
      if (it != ports.end()) e.count = port_counts[p][it - ports.begin()];
      s.edges.push_back(e);
    }
    for (const auto& a : graph.nodes[i].after) s.edges.push_back({a.node, "", graph.nodes[i].id, true, 0});
  }
  s.error_rate = s.source_records > 0 ? static_cast<double>(s.dead_letters) / static_cast<double>(s.source_records) : 0;
  return s;
}

boost::json::object RunSummary::to_json() const {
  namespace json = boost::json;
  json::array ns;
  for (const auto& n : nodes)
    ns.push_back(json::object{{"id", n.id}, {"type", n.type}, {"role", n.role}, {"in", n.in}, {"out", n.out},
                              {"errors", n.errors}, {"filtered", n.filtered}, {"emitted", n.emitted},
                              {"received", n.received}, {"busy_ms", n.busy_ms}, {"p50_ms", n.p50_ms},
                              {"p95_ms", n.p95_ms}, {"max_queued", n.max_queued}, {"buffer", n.buffer},
                              {"max_in_flight", n.max_in_flight}, {"concurrency", n.concurrency},
                              {"balanced", n.balanced}, {"stopped_reason", n.stopped_reason}});
  json::array es;
  for (const auto& e : edges)
    es.push_back(json::object{{"from", e.from}, {"port", e.port}, {"to", e.to}, {"control", e.control}, {"count", e.count}});
  json::object cs;
  for (const auto& [k, v] : counters) cs[k] = v;
  return json::object{{"pipeline", pipeline}, {"run_id", run_id}, {"status", status}, {"exit_code", exit_code},
                      {"started_at", started_at}, {"finished_at", finished_at}, {"duration_ms", duration_ms},
                      {"source_records", source_records}, {"dead_letters", dead_letters},
                      {"error_rate", error_rate}, {"max_error_rate", max_error_rate}, {"nodes", ns},
                      {"edges", es}, {"counters", cs}, {"resources", resources}};
}

std::string RunSummary::to_table() const {
  std::string t = fmt::format("{:<18} {:<14} {:>9} {:>9} {:>7} {:>8} {:>10} {:>9} {:>9} {:>8}\n", "node", "type", "in",
                              "out", "errors", "filtered", "busy ms", "p50 ms", "p95 ms", "queue");
  for (const auto& n : nodes) {
    t += fmt::format("{:<18} {:<14} {:>9} {:>9} {:>7} {:>8} {:>10.1f} {:>9.3f} {:>9.3f} {:>8}{}\n", n.id.substr(0, 18),
                     n.type.substr(0, 14), n.role == "source" ? std::string("-") : std::to_string(n.in), n.out,
                     n.errors, n.filtered, n.busy_ms, n.p50_ms, n.p95_ms,
                     std::to_string(n.max_queued) + "/" + std::to_string(n.buffer), n.balanced ? "" : "  UNBALANCED");
    if (!n.stopped_reason.empty()) t += "    stopped: " + n.stopped_reason + "\n";
  }
  for (const auto& [k, v] : counters) t += fmt::format("  {} = {}\n", k, v);
  for (const auto& kv : resources) t += fmt::format("  resource {}: {}\n", std::string(kv.key()), boost::json::serialize(kv.value()));
  t += fmt::format("run {} {} in {:.0f} ms: {} records from sources, {} dead letters ({:.2f}%){}\n", run_id, status,
                   duration_ms, source_records, dead_letters, error_rate * 100,
                   max_error_rate >= 0 ? fmt::format(", max_error_rate {:.2f}%", max_error_rate * 100) : "");
  return t;
}

}  // namespace flowrun
