// The end-of-run summary: built from our Graph plus the runtime counters, printed as a table on
// stderr or as JSON, and handed to run observers (the run ledger).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "engine/adaptive_limit.hpp"
#include "engine/json_text.hpp"
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
    n.held = m.held;
    n.unwritten = m.unwritten;
    n.received = received[i];
    // Fast nodes time a sample of their bodies (runner.cpp, run_body): scale to every record.
    const auto timed = m.latency.count();
    const bool sampled = g.role() != Role::source && timed > 0 && m.in > timed;
    n.busy_ms = m.busy_us / 1000.0 * (sampled ? static_cast<double>(m.in) / static_cast<double>(timed) : 1.0);
    n.p50_ms = m.latency.percentile_ms(0.50);
    n.p95_ms = m.latency.percentile_ms(0.95);
    n.queued = m.queued;
    n.max_queued = m.max_queued;
    n.max_in_flight = m.max_in_flight;
    n.buffer = g.buffer;
    n.concurrency = g.concurrency;
    n.stopped_reason = reasons[i];
    if (m.adaptive) n.adaptive = m.adaptive->snapshot();
    const auto ports = g.ports();
    for (std::size_t p = 2; p < ports.size() && p < port_counts[i].size(); ++p) n.ports[ports[p]] = port_counts[i][p];
    n.balanced = g.role() == Role::source ||
                 (n.in == n.received && n.in == n.out + n.errors + n.filtered + n.unwritten + n.held);
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

boost::json::object AdaptiveSummary::to_json() const {
  return boost::json::object{{"kind", "concurrency"}, {"name", name}, {"limit", limit}, {"min", min}, {"max", max},
                             {"in_flight", in_flight}, {"peak_in_flight", peak_in_flight}, {"samples", samples},
                             {"increases", increases}, {"decreases", decreases}, {"backpressure", backpressure},
                             {"rtt_ms", rtt_ms}, {"base_rtt_ms", base_rtt_ms}};
}

boost::json::object RunSummary::to_json() const {
  namespace json = boost::json;
  json::array ns;
  for (const auto& n : nodes) {
    ns.push_back(json::object{{"id", n.id}, {"type", n.type}, {"role", n.role}, {"in", n.in}, {"out", n.out},
                              {"errors", n.errors}, {"filtered", n.filtered}, {"unwritten", n.unwritten}, {"emitted", n.emitted},
                              {"received", n.received}, {"busy_ms", n.busy_ms}, {"p50_ms", n.p50_ms},
                              {"p95_ms", n.p95_ms}, {"queued", n.queued}, {"max_queued", n.max_queued}, {"buffer", n.buffer},
                              {"max_in_flight", n.max_in_flight}, {"concurrency", n.concurrency},
                              {"balanced", n.balanced}, {"stopped_reason", n.stopped_reason}, {"ports", [&] {
                                json::object po;
                                for (const auto& [port, count] : n.ports) po[port] = count;
                                return po;
                              }()}});
    if (n.adaptive) ns.back().as_object()["adaptive"] = n.adaptive->to_json();
  }
  json::array es;
  for (const auto& e : edges)
    es.push_back(json::object{{"from", e.from}, {"port", e.port}, {"to", e.to}, {"control", e.control}, {"count", e.count}});
  json::object cs;
  for (const auto& [k, v] : counters) cs[k] = v;
  json::array ws;
  for (const auto& w : warnings) ws.push_back(json::string(w));
  json::array os;
  for (const auto& o : outputs) os.push_back(json::object{{"node", o.node}, {"target", o.target}, {"rows", o.rows}, {"what", o.what}});
  return json::object{{"warnings", ws}, {"failure", failure}, {"outputs", os}, {"pipeline", pipeline}, {"run_id", run_id}, {"status", status}, {"exit_code", exit_code},
                      {"started_at", started_at}, {"finished_at", finished_at}, {"duration_ms", duration_ms},
                      {"source_records", source_records}, {"dead_letters", dead_letters},
                      {"error_rate", error_rate}, {"max_error_rate", max_error_rate}, {"nodes", ns},
                      {"edges", es}, {"counters", cs}, {"resources", resources}};
}

namespace {

std::string ports_text(const NodeSummary& n) {
  std::string t;
  for (const auto& [port, count] : n.ports)
    if (count > 0) t += (t.empty() ? "" : ", ") + port + " " + std::to_string(count);
  return t;
}

}  // namespace

// One row per node (full ids and types), what was written where, warnings, and the outcome on the
// last line with its reason when it failed.
std::string RunSummary::to_table() const {
  std::size_t wid = 4, wtype = 4;
  bool any_lost = false, any_ports = false;
  for (const auto& n : nodes) {
    wid = std::max(wid, n.id.size()), wtype = std::max(wtype, n.type.size());
    any_lost = any_lost || n.unwritten > 0;
    any_ports = any_ports || !ports_text(n).empty();
  }
  std::string t = fmt::format("{:<{}} {:<{}} {:>9} {:>9} {:>7} {:>8}{} {:>10} {:>9} {:>9} {:>9}{}\n", "node", wid, "type",
                              wtype, "in", "out", "errors", "filtered", any_lost ? fmt::format(" {:>9}", "unwritten") : "",
                              "busy ms", "p50 ms", "p95 ms", "queue", any_ports ? "  other ports" : "");
  for (const auto& n : nodes) {
    const std::int64_t out_port = n.out - [&] {
      std::int64_t other = 0;
      for (const auto& [port, count] : n.ports) other += count;
      return n.role == "sink" ? 0 : other;  // a sink's out is what it wrote
    }();
    t += fmt::format("{:<{}} {:<{}} {:>9} {:>9} {:>7} {:>8}{} {:>10.1f} {:>9.3f} {:>9.3f} {:>9}{}{}\n", n.id, wid, n.type, wtype,
                     n.role == "source" ? std::string("-") : std::to_string(n.in), std::max<std::int64_t>(out_port, 0),
                     n.errors, n.filtered, any_lost ? fmt::format(" {:>9}", n.unwritten) : "", n.busy_ms, n.p50_ms,
                     n.p95_ms, std::to_string(n.max_queued) + "/" + std::to_string(n.buffer),
                     any_ports ? "  " + ports_text(n) : "", n.balanced ? "" : "  UNBALANCED");
    if (!n.stopped_reason.empty()) t += "    " + std::string(n.role == "source" ? "stopped: " : "failed: ") + n.stopped_reason + "\n";
    if (n.adaptive)
      t += fmt::format("    adaptive concurrency{}: limit {} ({}..{}), peak {} in flight, round trip {:.1f} ms (no load {:.1f}), "
                       "{} up / {} down, {} back-pressure\n",
                       n.adaptive->name == n.id ? "" : " (shared " + n.adaptive->name + ")", n.adaptive->limit,
                       n.adaptive->min, n.adaptive->max, n.adaptive->peak_in_flight, n.adaptive->rtt_ms,
                       n.adaptive->base_rtt_ms, n.adaptive->increases, n.adaptive->decreases, n.adaptive->backpressure);
  }
  for (const auto& [k, v] : counters) t += fmt::format("  {} = {}\n", k, format_number(v));
  for (const auto& kv : resources) t += fmt::format("  resource {}: {}\n", std::string(kv.key()), to_json_text(kv.value()));
  for (const auto& o : outputs)
    t += fmt::format("wrote {} {} to {} ({})\n", o.rows, o.what.empty() ? "records" : o.what, o.target, o.node);
  for (const auto& w : warnings) t += "warning: " + w + "\n";
  t += fmt::format("run {} {} in {:.0f} ms: {} records from sources, {} dead letters ({:.2f}%){}\n", run_id, status,
                   duration_ms, source_records, dead_letters, error_rate * 100,
                   max_error_rate >= 0 ? fmt::format(", max_error_rate {:.2f}%", max_error_rate * 100) : "");
  // Last, so that the one line a cron mail or `tail -1` shows says why (a blocked site, a full disk).
  if (!failure.empty()) t += "failed: " + failure + "\n";
  return t;
}

}  // namespace flowrun

namespace flowrun {

namespace json = boost::json;

namespace {


std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string metric_name(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return out;
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

class Writer {
 public:
  void family(const std::string& name, const char* type, const char* help) {
    os_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const std::string& name, const std::string& labels, double v) {
    os_ << name;
    if (!labels.empty()) os_ << '{' << labels << '}';
    os_ << ' ' << num(v) << '\n';
  }
  std::string str() const { return os_.str(); }

 private:
  std::ostringstream os_;
};

std::optional<double> as_number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  if (v.is_bool()) return v.get_bool() ? 1.0 : 0.0;
  return std::nullopt;
}

}  // namespace

std::string to_prometheus(const RunSummary& s) {
  Writer w;
  const std::string run = "pipeline=\"" + label(s.pipeline) + "\"";
  auto node_labels = [&](const NodeSummary& n) {
    return run + ",node=\"" + label(n.id) + "\",type=\"" + label(n.type) + "\",role=\"" + label(n.role) + "\"";
  };
  struct Counter {
    const char* name;
    const char* help;
    std::int64_t NodeSummary::*field;
  };
  const Counter counters[] = {
      {"flowrun_node_records_in_total", "Records received by the node.", &NodeSummary::in},
      {"flowrun_node_records_out_total", "Records the node emitted on its ports.", &NodeSummary::out},
      {"flowrun_node_errors_total", "Records the node failed (sent to errors).", &NodeSummary::errors},
      {"flowrun_node_filtered_total", "Records the node dropped on purpose.", &NodeSummary::filtered},
      {"flowrun_node_unwritten_total", "Records the node accepted and could neither write nor dead-letter.", &NodeSummary::unwritten},
  };
  for (const auto& c : counters) {
    w.family(c.name, "counter", c.help);
    for (const auto& n : s.nodes) w.sample(c.name, node_labels(n), static_cast<double>(n.*c.field));
  }
  // The summary keeps percentiles, not buckets: a Prometheus summary is the honest type.
  w.family("flowrun_node_latency_seconds", "summary", "Time per record in the node body.");
  for (const auto& n : s.nodes) {
    w.sample("flowrun_node_latency_seconds", node_labels(n) + ",quantile=\"0.5\"", n.p50_ms / 1000);
    w.sample("flowrun_node_latency_seconds", node_labels(n) + ",quantile=\"0.95\"", n.p95_ms / 1000);
    w.sample("flowrun_node_latency_seconds_count", node_labels(n), static_cast<double>(n.in));
    w.sample("flowrun_node_latency_seconds_sum", node_labels(n), n.busy_ms / 1000);
  }
  w.family("flowrun_node_queue", "gauge", "Records inside the node now (waiting or running).");
  for (const auto& n : s.nodes) w.sample("flowrun_node_queue", node_labels(n), static_cast<double>(n.queued));
  w.family("flowrun_node_busy_seconds_total", "counter", "Time spent in the node body.");
  for (const auto& n : s.nodes) w.sample("flowrun_node_busy_seconds_total", node_labels(n), n.busy_ms / 1000);
  w.family("flowrun_node_queue_max", "gauge", "Most records waiting in or running inside the node at once.");
  for (const auto& n : s.nodes) w.sample("flowrun_node_queue_max", node_labels(n), static_cast<double>(n.max_queued));
  w.family("flowrun_node_concurrency_limit", "gauge",
           "Current adaptive concurrency limit of the node (concurrency: adaptive), else its fixed concurrency (0 = unlimited).");
  for (const auto& n : s.nodes)
    w.sample("flowrun_node_concurrency_limit", node_labels(n), n.adaptive ? n.adaptive->limit : n.concurrency);
  w.family("flowrun_node_queue_capacity", "gauge", "Capacity of the node's input edge.");
  for (const auto& n : s.nodes) w.sample("flowrun_node_queue_capacity", node_labels(n), static_cast<double>(n.buffer));

  w.family("flowrun_run_duration_seconds", "gauge", "Wall time of the last run.");
  w.sample("flowrun_run_duration_seconds", run, s.duration_ms / 1000);
  w.family("flowrun_run_source_records", "gauge", "Records the sources emitted in the last run.");
  w.sample("flowrun_run_source_records", run, static_cast<double>(s.source_records));
  w.family("flowrun_run_dead_letters", "gauge", "Dead letters in the last run.");
  w.sample("flowrun_run_dead_letters", run, static_cast<double>(s.dead_letters));
  w.family("flowrun_run_status", "gauge", "1 for the status of the last run.");
  for (const char* st : {"ok", "failed", "interrupted"})
    w.sample("flowrun_run_status", run + ",status=\"" + st + "\"", s.status == st ? 1 : 0);
  w.family("flowrun_run_exit_code", "gauge", "Exit code of the last run.");
  w.sample("flowrun_run_exit_code", run, s.exit_code);

  w.family("flowrun_run_counter", "gauge", "Run counters (tokens, cost, cache hits, store counts).");
  for (const auto& [k, v] : s.counters) w.sample("flowrun_run_counter", run + ",name=\"" + label(k) + "\"", v);

  // Resources: name -> {kind, field: number|string, ...} (engine/runner.cpp). Numbers become
  // samples; strings (a breaker's state) a 1-valued sample labelled with the value.
  w.family("flowrun_resource", "gauge", "Rate-limit waits, breaker state, budget left, per resource.");
  for (const auto& [name, fields] : s.resources) {
    if (!fields.is_object()) continue;
    const auto& f = fields.get_object();
    std::string kind = "resource";
    if (auto* k = f.if_contains("kind"); k && k->is_string()) kind = std::string(k->get_string());
    const std::string base = run + ",kind=\"" + label(kind) + "\",resource=\"" + label(std::string(name)) + "\"";
    for (const auto& [key, v] : f) {
      if (key == "kind") continue;
      const std::string field = ",field=\"" + metric_name(std::string(key)) + "\"";
      if (auto n = as_number(v)) w.sample("flowrun_resource", base + field, *n);
      else if (v.is_string())
        w.sample("flowrun_resource", base + field + ",value=\"" + label(std::string(v.get_string())) + "\"", 1);
    }
  }
  return w.str();
}

void write_prometheus_textfile(const std::string& path, const RunSummary& s) {
  namespace fs = std::filesystem;
  auto parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << to_prometheus(s);
    if (!f) throw std::runtime_error("cannot write metrics textfile " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot write metrics textfile " + path + ": " + ec.message());
}

}  // namespace flowrun
