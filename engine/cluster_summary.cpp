// The summary of a clustered run: main's own summary plus every worker's, merged node by node
// (engine/cluster.hpp). Workers send theirs as the JSON RunSummary::to_json() writes.
#include <algorithm>
#include <map>

#include "engine/cluster.hpp"

namespace flowrun {

namespace json = boost::json;

namespace {

std::int64_t int_at(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return 0;
}

double num_at(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  if (!v) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return 0;
}

std::string str_at(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

void add_node(NodeSummary& into, const NodeSummary& n) {
  into.in += n.in;
  into.out += n.out;
  into.errors += n.errors;
  into.filtered += n.filtered;
  into.unwritten += n.unwritten;
  into.held += n.held;
  for (const auto& [port, count] : n.ports) into.ports[port] += count;
  into.emitted += n.emitted;
  into.received += n.received;
  into.busy_ms += n.busy_ms;
  // Percentiles do not add up: the slowest process's is the honest upper bound.
  into.p50_ms = std::max(into.p50_ms, n.p50_ms);
  into.p95_ms = std::max(into.p95_ms, n.p95_ms);
  into.queued += n.queued;
  into.max_queued = std::max(into.max_queued, n.max_queued);
  into.max_in_flight += n.max_in_flight;
  if (into.stopped_reason.empty()) into.stopped_reason = n.stopped_reason;
}

// Resources of a worker group: numbers summed, other fields as the first process said.
void add_resources(json::object& into, const json::object& part, const std::string& suffix) {
  for (const auto& [name, fields] : part) {
    if (!fields.is_object()) continue;
    const std::string key = std::string(name) + suffix;
    auto it = into.find(key);
    if (it == into.end()) {
      into[key] = fields;
      continue;
    }
    auto& dst = it->value().as_object();
    for (const auto& [f, v] : fields.get_object()) {
      auto* d = dst.if_contains(f);
      if (d && d->is_number() && v.is_number()) *d = d->to_number<double>() + v.to_number<double>();
    }
  }
}

}  // namespace

RunSummary summary_from_json(const json::object& o) {
  RunSummary s;
  s.pipeline = str_at(o, "pipeline");
  s.run_id = str_at(o, "run_id");
  s.status = str_at(o, "status");
  s.started_at = str_at(o, "started_at");
  s.finished_at = str_at(o, "finished_at");
  s.duration_ms = num_at(o, "duration_ms");
  s.failure = str_at(o, "failure");
  s.exit_code = static_cast<int>(int_at(o, "exit_code"));
  if (const auto* ns = o.if_contains("nodes"); ns && ns->is_array())
    for (const auto& v : ns->get_array()) {
      if (!v.is_object()) continue;
      const auto& j = v.get_object();
      NodeSummary n;
      n.id = str_at(j, "id");
      n.type = str_at(j, "type");
      n.role = str_at(j, "role");
      n.in = int_at(j, "in");
      n.out = int_at(j, "out");
      n.errors = int_at(j, "errors");
      n.filtered = int_at(j, "filtered");
      n.unwritten = int_at(j, "unwritten");
      if (const auto* ps = j.if_contains("ports"); ps && ps->is_object())
        for (const auto& [port, count] : ps->get_object())
          if (count.is_int64()) n.ports[std::string(port)] = count.get_int64();
      n.emitted = int_at(j, "emitted");
      n.received = int_at(j, "received");
      n.busy_ms = num_at(j, "busy_ms");
      n.p50_ms = num_at(j, "p50_ms");
      n.p95_ms = num_at(j, "p95_ms");
      n.queued = int_at(j, "queued");
      n.max_queued = int_at(j, "max_queued");
      n.buffer = int_at(j, "buffer");
      n.max_in_flight = int_at(j, "max_in_flight");
      n.concurrency = static_cast<int>(int_at(j, "concurrency"));
      n.stopped_reason = str_at(j, "stopped_reason");
      s.nodes.push_back(std::move(n));
    }
  if (const auto* es = o.if_contains("edges"); es && es->is_array())
    for (const auto& v : es->get_array()) {
      if (!v.is_object()) continue;
      const auto& j = v.get_object();
      const auto* c = j.if_contains("control");
      s.edges.push_back({str_at(j, "from"), str_at(j, "port"), str_at(j, "to"), c && c->is_bool() && c->get_bool(),
                         int_at(j, "count")});
    }
  if (const auto* cs = o.if_contains("counters"); cs && cs->is_object())
    for (const auto& [k, v] : cs->get_object())
      if (v.is_number()) s.counters[std::string(k)] = v.to_number<double>();
  if (const auto* os = o.if_contains("outputs"); os && os->is_array())
    for (const auto& v : os->get_array())
      if (v.is_object()) {
        const auto& j = v.get_object();
        s.outputs.push_back({str_at(j, "node"), str_at(j, "target"), int_at(j, "rows"), str_at(j, "what")});
      }
  if (const auto* rs = o.if_contains("resources"); rs && rs->is_object()) s.resources = rs->get_object();
  if (const auto* ws = o.if_contains("warnings"); ws && ws->is_array())
    for (const auto& w : ws->get_array())
      if (w.is_string()) s.warnings.emplace_back(w.get_string());
  return s;
}

RunSummary merge_summaries(const Graph& expanded, const ClusterTransport& transport, const RunSummary& main,
                           const std::vector<RunSummary>& workers) {
  RunSummary s = main;
  std::vector<const RunSummary*> parts{&main};
  for (const auto& w : workers) parts.push_back(&w);

  s.nodes.clear();
  s.source_records = 0;
  s.dead_letters = 0;
  for (const auto& g : expanded.nodes) {
    NodeSummary n;
    n.id = g.id;
    n.type = g.type;
    n.role = to_string(g.role());
    n.buffer = g.buffer;
    n.concurrency = g.concurrency;
    for (const auto* p : parts)
      for (const auto& pn : p->nodes)
        if (pn.id == g.id) add_node(n, pn);
    n.balanced = g.role() == Role::source || (n.in == n.received && n.in == n.out + n.errors + n.filtered + n.unwritten);
    if (g.desc && g.desc->dead_letter) s.dead_letters += n.in;
    // A subscriber re-emits records a source already counted.
    if (g.role() == Role::source && !is_transport_node(g, transport)) s.source_records += n.out + n.errors;
    s.nodes.push_back(std::move(n));
  }
  std::map<std::tuple<std::string, std::string, std::string, bool>, std::int64_t> edges;
  std::vector<std::tuple<std::string, std::string, std::string, bool>> order;
  for (const auto* p : parts)
    for (const auto& e : p->edges) {
      auto key = std::make_tuple(e.from, e.port, e.to, e.control);
      if (!edges.count(key)) order.push_back(key);
      edges[key] += e.count;
    }
  s.edges.clear();
  for (const auto& k : order) s.edges.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), edges[k]});
  for (const auto& w : workers) {
    for (const auto& [k, v] : w.counters) s.counters[k] += v;
    add_resources(s.resources, w.resources, " (workers)");
    s.outputs.insert(s.outputs.end(), w.outputs.begin(), w.outputs.end());
    for (const auto& warning : w.warnings)
      if (std::find(s.warnings.begin(), s.warnings.end(), warning) == s.warnings.end()) s.warnings.push_back(warning);
  }
  s.error_rate = s.source_records > 0 ? static_cast<double>(s.dead_letters) / static_cast<double>(s.source_records) : 0;
  return s;
}

}  // namespace flowrun
