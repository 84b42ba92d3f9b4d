// Placement of nodes in groups, the checks on it, and the expansion of cross-group edges into
// transport nodes (engine/cluster.hpp, docs/cluster.md).
#include "engine/cluster.hpp"

#include <algorithm>
#include <set>

#include "engine/registry.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun {

namespace {

std::string port_text(const std::string& node, const std::string& port) {
  return port == "out" ? node : node + "." + port;
}

// Names of the options of `n` of the given kind that the pipeline sets (typed or not).
std::vector<std::string> given_options(const GraphNode& n, OptionType kind) {
  std::vector<std::string> out;
  if (!n.desc) return out;
  for (const auto& s : n.desc->option_specs()) {
    if (s.type != kind) continue;
    const bool given = n.desc->schema ? n.options.sites.given.count(s.name) > 0 : n.config.has(s.name);
    if (given) out.push_back(s.name);
  }
  return out;
}

bool writes_local_file(const GraphNode& n) {
  if (!n.desc) return false;
  for (const auto& s : n.desc->option_specs())
    if (s.output) return true;
  return false;
}

GraphNode transport_node(const Graph& g, const NodeDescriptor& d, std::string id, std::string group,
                         std::shared_ptr<const ClusterEdge> edge) {
  GraphNode n;
  n.id = std::move(id);
  n.type = d.type;
  n.desc = &d;
  n.group = std::move(group);
  n.concurrency = d.default_concurrency;
  n.buffer = g.default_buffer;
  n.where = Location{g.file, 0, 0};
  n.info = NodeInfo{n.id, n.type, g.base_dir, n.where};
  n.options.value = std::move(edge);
  return n;
}

// Replaces the edge `from.port` -> consumers in `to_group` by a publisher and a subscriber.
void split_edge(Graph& g, const ClusterTransport& t, const std::string& from, const std::string& port,
                const std::string& to_group, int index) {
  auto edge = std::make_shared<ClusterEdge>();
  edge->index = index;
  edge->from = from;
  edge->port = port;
  edge->from_group = g.find(from)->group;
  edge->to_group = to_group;
  edge->publisher = port_text(from, port) + ">" + to_group;
  edge->subscriber = to_group + "<" + port_text(from, port);
  for (auto& n : g.nodes) {
    if (n.group != to_group) continue;
    for (auto& in : n.inputs)
      if (in.node == from && in.port == port) {
        in.node = edge->subscriber;
        in.port = "out";
        edge->to.push_back(n.id);
      }
  }
  GraphNode pub = transport_node(g, t.publisher, edge->publisher, edge->from_group, edge);
  pub.inputs.push_back(PortRef{from, port, pub.where, true});
  GraphNode sub = transport_node(g, t.subscriber, edge->subscriber, to_group, edge);
  g.nodes.push_back(std::move(pub));
  g.nodes.push_back(std::move(sub));
}

}  // namespace

std::string ClusterEdge::label() const { return port_text(from, port) + " -> " + to_group; }

bool is_transport_node(const GraphNode& n, const ClusterTransport& t) {
  return n.desc == &t.publisher || n.desc == &t.subscriber;
}

Graph expand_cluster(const Graph& whole, const ClusterTransport& t) {
  Graph g = whole;
  // Cross edges in file order of their consumers, so that every process numbers them alike.
  std::vector<std::tuple<std::string, std::string, std::string>> cross;
  for (const auto& n : whole.nodes)
    for (const auto& in : n.inputs) {
      const GraphNode* p = whole.find(in.node);
      if (!p || p->group == n.group) continue;
      auto key = std::make_tuple(in.node, in.port, n.group);
      if (std::find(cross.begin(), cross.end(), key) == cross.end()) cross.push_back(key);
    }
  if (cross.empty()) return g;
  int index = 0;
  for (const auto& [from, port, to] : cross) split_edge(g, t, from, port, to, index++);

  // What a subscriber cannot read (not a record, delivered too often) goes to dead letters: the
  // group's own dead-letter node, else the pipeline's first, across groups if need be.
  const auto dead = g.dead_letter_nodes();
  if (dead.empty()) return g;
  std::vector<std::string> subscribers;
  for (const auto& n : g.nodes)
    if (n.desc == &t.subscriber) subscribers.push_back(n.id);
  for (const auto& sub : subscribers) {
    const std::string group = g.find(sub)->group;
    int target = dead.front();
    for (int d : dead)
      if (g.nodes[d].group == group) target = d;
    g.nodes[target].inputs.push_back(PortRef{sub, "errors", g.nodes[target].where, true});
    if (g.nodes[target].group != group) split_edge(g, t, sub, "errors", g.nodes[target].group, index++);
  }
  return g;
}

std::vector<ClusterEdge> cluster_edges(const Graph& expanded, const ClusterTransport& t) {
  std::vector<ClusterEdge> out;
  for (const auto& n : expanded.nodes)
    if (n.desc == &t.publisher && n.options.value) out.push_back(n.options.as<ClusterEdge>());
  std::sort(out.begin(), out.end(), [](const ClusterEdge& a, const ClusterEdge& b) { return a.index < b.index; });
  return out;
}

Graph cut_group(const Graph& expanded, const std::string& group) {
  Graph g = expanded;
  g.clustered = false;  // this process's part runs as a plain pipeline
  g.nodes.clear();
  for (const auto& n : expanded.nodes)
    if (n.group == group) g.nodes.push_back(n);
  for (auto& n : g.nodes) {
    auto gone = [&](const PortRef& r) { return g.find(r.node) == nullptr; };
    n.after.erase(std::remove_if(n.after.begin(), n.after.end(), gone), n.after.end());
  }
  return g;
}

void bind_cluster(Graph& g, const YAML::Node& cluster, const Registry& registry, BindContext& ctx,
                  const Location& where) {
  if (!cluster.IsDefined() || cluster.IsNull()) return;
  const ClusterTransport* t = registry.cluster();
  if (!t) {
    ctx.diags.error(where, "cluster: this build of flowrun has no cluster transport (the nats node family, libnats-dev)");
    return;
  }
  if (!cluster.IsMap()) {
    ctx.diags.error(where, "cluster must be a map like {" + t->name + ": \"nats://host:4222\", stream: NAME}");
    return;
  }
  std::vector<std::string> known;
  for (const auto& s : t->schema->specs()) known.push_back(s.name);
  for (const auto& kv : cluster) {
    const std::string k = kv.first.Scalar();
    if (!t->schema->knows(k))
      ctx.diags.error(location_of(ctx.file, kv.first), "cluster: unknown key '" + k + "'" + did_you_mean(k, known));
  }
  g.cluster = t->schema->bind(cluster, ctx);
  const NodeInfo info{"", "", g.base_dir, where};
  t->schema->validate(g.cluster, info, ctx.diags);
  g.groups = {"main"};
  for (auto& name : t->groups(g.cluster))
    if (name != "main") g.groups.push_back(std::move(name));
  g.clustered = true;
}

void check_placement(const Graph& g, const Registry& registry, Diagnostics& diags) {
  std::set<std::string> used;
  for (const auto& n : g.nodes) used.insert(n.group);
  if (!g.clustered) {
    for (const auto& n : g.nodes)
      if (n.group != "main")
        diags.error(n.where, "node '" + n.id + "': group: '" + n.group +
                                 "' needs a top-level `cluster:` (the NATS server that carries records between groups)");
    return;
  }
  for (const auto& n : g.nodes) {
    if (std::find(g.groups.begin(), g.groups.end(), n.group) == g.groups.end()) {
      diags.error(n.where, "node '" + n.id + "': group '" + n.group + "' is not declared in cluster.groups" +
                               did_you_mean(n.group, g.groups));
      continue;
    }
    if (n.group == "main") continue;
    if (n.role() == Role::source)
      diags.error(n.where, "node '" + n.id + "' is a source and must run in group main: in group '" + n.group +
                               "' every worker would run it and emit its records again");
    for (const auto& a : n.after) {
      const GraphNode* p = g.find(a.node);
      if (p && p->group != n.group)
        diags.error(a.where, "node '" + n.id + "': after: '" + a.node + "' is in group '" + p->group +
                                 "'; `after:` works only between nodes of one group");
    }
    for (const auto& opt : given_options(n, OptionType::rate_limit))
      diags.error(n.where, "node '" + n.id + "' uses a rate limit (" + opt + ") and must run in group main: a rate limit is "
                           "counted in one process, so only there does it hold for the whole cluster");
    for (const auto& opt : given_options(n, OptionType::budget))
      diags.warning(n.where, "node '" + n.id + "': its budget (" + opt + ") is counted per process: every worker of group '" +
                                 n.group + "' may spend all of it");
    if (writes_local_file(n))
      diags.warning(n.where, "node '" + n.id + "' writes a local file in group '" + n.group +
                                 "': each worker writes its own, and records are acknowledged before the file is "
                                 "complete; put file outputs in group main or use the store");
    if (n.desc && n.desc->store_url) {
      std::string url = n.desc->store_url(n.options);
      if (url.empty()) url = g.store;  // the node writes the pipeline's `store:`
      if (!url.empty() && registry.store_on_one_machine(url))
        diags.warning(n.where, "node '" + n.id + "' writes the store " + url.substr(0, url.find(':') + 1) + " in group '" +
                                   n.group + "': a SQLite file lives on one machine, so each worker writes its own; "
                                   "use a PostgreSQL store (postgresql://...) shared by the cluster");
    }
  }
  for (const auto& name : g.groups)
    if (name != "main" && !used.count(name))
      diags.warning(Location{g.file, 0, 0}, "cluster group '" + name + "' has no nodes");
}

}  // namespace flowrun
