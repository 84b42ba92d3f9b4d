// The end-of-run summary: built from our Graph plus the runtime counters, printed as a table on
// stderr or as JSON, and handed to run observers (the run ledger).
#include <fmt/format.h>

#include <algorithm>

#include "engine/graph.hpp"
#include "engine/metrics.hpp"
#include "engine/pipeline.hpp"

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
    n.queued = m.queued;
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
                              {"p95_ms", n.p95_ms}, {"queued", n.queued}, {"max_queued", n.max_queued}, {"buffer", n.buffer},
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

namespace flowrun {

std::string to_prometheus(const RunSummary& s) {
  std::string o;
  auto label = [](const std::string& v) {
    std::string e;
    for (char c : v) {
      if (c == '\\' || c == '"') e += '\\';
      if (c == '\n') { e += "\\n"; continue; }
      e += c;
    }
    return e;
  };
  auto family = [&](const char* name, const char* type, const char* help) {
    o += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  auto per_node = [&](const char* name, const char* type, const char* help, auto get) {
    family(name, type, help);
    for (const auto& n : s.nodes)
      o += fmt::format("{}{{pipeline=\"{}\",node=\"{}\",type=\"{}\"}} {}\n", name, label(s.pipeline), label(n.id), label(n.type), get(n));
  };
  per_node("flowrun_node_records_in_total", "counter", "Records a node received.", [](const NodeSummary& n) { return n.in; });
  per_node("flowrun_node_records_out_total", "counter", "Inputs a node finished with output (sinks: written).", [](const NodeSummary& n) { return n.out; });
  per_node("flowrun_node_errors_total", "counter", "Records a node sent to errors.", [](const NodeSummary& n) { return n.errors; });
  per_node("flowrun_node_filtered_total", "counter", "Records a node dropped on purpose.", [](const NodeSummary& n) { return n.filtered; });
  per_node("flowrun_node_queue", "gauge", "Records inside a node now (waiting or running).", [](const NodeSummary& n) { return n.queued; });
  per_node("flowrun_node_queue_max", "gauge", "High-water mark of the node's input edge.", [](const NodeSummary& n) { return n.max_queued; });
  per_node("flowrun_node_buffer", "gauge", "Capacity of the node's input edge.", [](const NodeSummary& n) { return n.buffer; });
  per_node("flowrun_node_busy_seconds_total", "counter", "Time spent in the node body.", [](const NodeSummary& n) { return n.busy_ms / 1000.0; });
  family("flowrun_node_latency_seconds", "summary", "Per-record latency of the node body.");
  for (const auto& n : s.nodes) {
    o += fmt::format("flowrun_node_latency_seconds{{pipeline=\"{}\",node=\"{}\",quantile=\"0.5\"}} {}\n", label(s.pipeline), label(n.id), n.p50_ms / 1000.0);
    o += fmt::format("flowrun_node_latency_seconds{{pipeline=\"{}\",node=\"{}\",quantile=\"0.95\"}} {}\n", label(s.pipeline), label(n.id), n.p95_ms / 1000.0);
  }
  family("flowrun_resource_value", "gauge", "Resource state: rate-limit waits, breaker state (0 closed, 1 half-open, 2 open), budget left.");
  for (const auto& kv : s.resources) {
    if (!kv.value().is_object()) continue;
    const auto& r = kv.value().as_object();
    std::string name = label(std::string(kv.key()));
    for (const auto& f : r) {
      double v;
      if (f.value().is_number()) v = f.value().to_number<double>();
      else if (f.key() == "state") v = f.value() == "closed" ? 0 : f.value() == "half_open" ? 1 : 2;
      else continue;
      o += fmt::format("flowrun_resource_value{{pipeline=\"{}\",resource=\"{}\",field=\"{}\"}} {}\n", label(s.pipeline), name, std::string(f.key()), v);
    }
  }
  family("flowrun_run_counter", "gauge", "Run-wide counters from nodes (LLM calls, tokens, store upserts...).");
  for (const auto& [k, v] : s.counters)
    o += fmt::format("flowrun_run_counter{{pipeline=\"{}\",name=\"{}\"}} {}\n", label(s.pipeline), label(k), v);
  family("flowrun_run_dead_letters", "gauge", "Records dead-lettered in this run.");
  o += fmt::format("flowrun_run_dead_letters{{pipeline=\"{}\"}} {}\n", label(s.pipeline), s.dead_letters);
  family("flowrun_run_duration_seconds", "gauge", "Run duration so far.");
  o += fmt::format("flowrun_run_duration_seconds{{pipeline=\"{}\"}} {}\n", label(s.pipeline), s.duration_ms / 1000.0);
  return o;
}

}  // namespace flowrun
