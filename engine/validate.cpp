// Graph-level checks: inputs and ports exist, sources vs non-sources, cycles in data and control
// edges, outputs nobody consumes; and the routing of unconsumed error ports to dead letters.
#include <algorithm>
#include <functional>
#include <set>

#include "engine/graph.hpp"
#include "engine/registry.hpp"

namespace flowrun {

namespace {

// Finds one cycle as ids in data-flow order, first == last; empty when there is none.
std::vector<std::string> find_cycle(const Graph& g, const std::function<std::vector<int>(int)>& preds) {
  const int n = static_cast<int>(g.nodes.size());
  std::vector<std::vector<int>> succ(n);
  for (int v = 0; v < n; ++v)
    for (int p : preds(v)) succ[p].push_back(v);
  std::vector<int> state(n, 0), path;  // 0 new, 1 on the current path, 2 done
  std::vector<std::string> cycle;
  std::function<bool(int)> dfs = [&](int v) {
    state[v] = 1;
    path.push_back(v);
    for (int w : succ[v]) {
      if (state[w] == 1) {
        auto from = std::find(path.begin(), path.end(), w);
        for (auto it = from; it != path.end(); ++it) cycle.push_back(g.nodes[*it].id);
        cycle.push_back(g.nodes[w].id);
        return true;
      }
      if (state[w] == 0 && dfs(w)) return true;
    }
    path.pop_back();
    state[v] = 2;
    return false;
  };
  for (int v = 0; v < n; ++v)
    if (state[v] == 0 && dfs(v)) return cycle;
  return {};
}

std::string join_cycle(const std::vector<std::string>& c) {
  std::string s;
  for (const auto& id : c) s += (s.empty() ? "" : " -> ") + id;
  return s;
}

}  // namespace

void validate_graph(Graph& g, const Registry& registry, Diagnostics& diags, bool strict,
                    const std::set<std::string>& declared) {
  std::vector<std::string> ids;
  for (const auto& n : g.nodes) ids.push_back(n.id);

  for (auto& n : g.nodes) {
    for (const auto& in : n.inputs) {
      const GraphNode* p = g.find(in.node);
      if (!p) {
        if (declared.count(in.node)) continue;  // already reported where it was declared
        std::string hint = closest_match(in.node, ids);
        diags.error(in.where, "node '" + n.id + "': input '" + in.str() + "' names no node" +
                                  (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        continue;
      }
      auto ports = p->ports();
      if (in.port == "out" && p->desc && !p->desc->sends_out) {
        std::string named;
        for (const auto& x : ports)
          if (x != "out" && p->carries_data(x)) named += (named.empty() ? "" : ", ") + p->id + "." + x;
        diags.error(in.where, "node '" + n.id + "': '" + p->id + "' (" + p->type + ") has no 'out' records; they leave "
                                  "only by its named ports: " + named);
        continue;
      }
      if (std::find(ports.begin(), ports.end(), in.port) == ports.end()) {
        std::string all;
        for (const auto& x : ports) all += (all.empty() ? "" : ", ") + x;
        std::string hint = closest_match(in.port, ports);
        diags.error(in.where, "node '" + n.id + "': '" + p->id + "' (" + p->type + ") has no output port '" + in.port +
                                  "'; its ports are " + all + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
      if (p->role() == Role::sink && in.port == "out")
        diags.error(in.where, "node '" + n.id + "': '" + p->id + "' is a sink and has no 'out' records to consume");
    }
    for (const auto& a : n.after) {
      if (!g.find(a.node) && !declared.count(a.node)) {
        std::string hint = closest_match(a.node, ids);
        diags.error(a.where, "node '" + n.id + "': after '" + a.node + "' names no node" +
                                 (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
      if (a.port != "out") diags.error(a.where, "node '" + n.id + "': after: takes node ids, not ports ('" + a.str() + "')");
    }
    if (n.role() != Role::source && n.inputs.empty() && !(n.desc && n.desc->dead_letter))
      diags.error(n.where, "node '" + n.id + "' (" + n.type + ") is not a source and has no inputs; add `inputs: [...]`");
  }
  if (diags.has_errors()) return;  // cycles and routing need a well-formed graph

  const int count = static_cast<int>(g.nodes.size());
  auto data_cycle = find_cycle(g, [&](int v) { return g.data_predecessors(v); });
  if (!data_cycle.empty()) {
    diags.error(g.find(data_cycle.front())->where, "cycle in data edges: " + join_cycle(data_cycle));
    return;
  }
  auto all_cycle = find_cycle(g, [&](int v) {
    auto p = g.data_predecessors(v);
    auto c = g.control_predecessors(v);
    p.insert(p.end(), c.begin(), c.end());
    return p;
  });
  if (!all_cycle.empty()) {
    diags.error(g.find(all_cycle.front())->where,
                "cycle through after: (control) edges, so no node in it could ever start: " + join_cycle(all_cycle));
    return;
  }

  // Unconsumed error-like ports (errors, rejected, ...) go to the dead-letter node; add one
  // (from whichever registered type is flagged dead_letter) when the pipeline has none.
  std::vector<std::pair<int, std::string>> unrouted;
  for (int i = 0; i < count; ++i) {
    const auto& n = g.nodes[i];
    if (n.desc && n.desc->dead_letter) continue;
    bool data_consumed = false;
    for (const auto& port : n.ports()) {
      const bool consumed = !g.consumers(i, port).empty();
      if (!n.carries_data(port) && !consumed) unrouted.emplace_back(i, port);
      data_consumed = data_consumed || (consumed && n.carries_data(port));
    }
    if (n.role() != Role::sink && !data_consumed) {
      Location at = n.where;
      if (strict) diags.error(at, "output of node '" + n.id + "' is not consumed by any node (--strict)");
      else diags.warning(at, "output of node '" + n.id + "' is not consumed by any node; its records are counted and discarded");
    }
    for (const auto& port : n.instance_ports)  // a route's named outputs
      if (data_consumed && g.consumers(i, port).empty()) {
        const std::string what = "output port '" + port + "' of node '" + n.id + "' is not consumed by any node";
        if (strict) diags.error(n.where, what + " (--strict)");
        else diags.warning(n.where, what + "; its records are counted as filtered");
      }
  }
  auto dl = g.dead_letter_nodes();
  if (!unrouted.empty() && dl.empty()) {
    const NodeDescriptor* dld = nullptr;
    for (const auto* d : registry.all())
      if (d->dead_letter) { dld = d; break; }
    if (dld) {
      GraphNode n;
      n.id = g.find("dead_letters") ? "_dead_letters" : "dead_letters";
      n.type = dld->type;
      n.desc = dld;
      n.concurrency = 1;
      n.buffer = g.default_buffer;
      n.where = Location{g.file, 0, 0};
      n.info = NodeInfo{n.id, n.type, g.base_dir, n.where};
      const YAML::Node defaults(YAML::NodeType::Map);
      if (dld->schema) {
        BindContext ctx{n.info, g.resources, diags, g.file};
        n.options = dld->schema->bind(defaults, ctx);
      } else {
        YAML::Node opts(YAML::NodeType::Map);
        for (const auto& s : dld->options)
          if (!s.default_value.empty()) opts[s.name] = YAML::Load(s.default_value);
        n.config = NodeConfig(n.id, n.type, opts, g.base_dir, n.where);
      }
      g.nodes.push_back(std::move(n));
      dl.push_back(static_cast<int>(g.nodes.size()) - 1);
    } else {
      diags.warning(Location{g.file, 0, 0}, "no dead-letter node type is registered; unconsumed error ports drop records");
    }
  }
  if (!dl.empty())
    for (const auto& [i, port] : unrouted) {
      PortRef r{g.nodes[i].id, port, g.nodes[i].where, true};
      g.nodes[dl.front()].inputs.push_back(r);
    }
  for (int i : dl)
    if (g.nodes[i].inputs.empty())
      diags.warning(g.nodes[i].where, "dead-letter node '" + g.nodes[i].id + "' receives nothing");
}

}  // namespace flowrun
