// Graphviz DOT for a pipeline: what `flowrun dot` prints and `--dot-out` writes after a run.
#include <sstream>

#include "engine/pipeline.hpp"
#include "engine/redact.hpp"

namespace flowrun {

namespace {

std::string esc(std::string s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') { o += "\\n"; continue; }
    o += c;
  }
  return o;
}

struct Style {
  const char* shape;
  const char* fill;
};

Style style_of(const GraphNode& n) {
  if (n.desc && n.desc->dead_letter) return {"cylinder", "#f6c9c9"};
  switch (n.role()) {
    case Role::source: return {"invhouse", "#cfe2ff"};
    case Role::sink: return {"cylinder", "#d4edda"};
    default: return {"box", "#fff3cd"};
  }
}

std::string concurrency_text(const GraphNode& n) {
  if (n.adaptive) {
    const auto& b = n.adaptive->bounds;
    return "adaptive " + std::to_string(b.min) + ".." + std::to_string(b.max) +
           (n.adaptive->shared.empty() ? "" : " (" + n.adaptive->shared + ")");
  }
  return n.concurrency == 0 ? "unlimited" : std::to_string(n.concurrency);
}

}  // namespace

std::string to_dot(const Graph& graph, const RunSummary* run) {
  std::ostringstream o;
  auto node_summary = [&](const std::string& id) -> const NodeSummary* {
    if (!run) return nullptr;
    for (const auto& n : run->nodes)
      if (n.id == id) return &n;
    return nullptr;
  };
  o << "digraph \"" << esc(graph.name) << "\" {\n";
  o << "  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11, style=\"filled,rounded\"];\n"
    << "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  std::string title = graph.name + (graph.mode.empty() ? "" : "  (mode: " + graph.mode + ")");
  if (run) title += "\nrun " + run->run_id + ": " + run->status;
  o << "  label=\"" << esc(title) << "\"; labelloc=t;\n";
  for (const auto& n : graph.nodes) {
    auto st = style_of(n);
    std::string label = n.id + "\n" + n.type + "\nconcurrency: " + concurrency_text(n);
    const NodeSummary* s = node_summary(n.id);
    if (s) {
      if (s->adaptive)
        label += "\nlimit " + std::to_string(s->adaptive->limit) + ", peak " + std::to_string(s->adaptive->peak_in_flight);
      label += "\nin " + std::to_string(s->in) + " / out " + std::to_string(s->out);
      if (s->errors) label += "\nerrors: " + std::to_string(s->errors);
    }
    o << "  \"" << esc(n.id) << "\" [label=\"" << esc(redact_secrets(label, graph.secrets)) << "\", shape=" << st.shape
      << ", fillcolor=\"" << st.fill << "\"" << (s && s->errors ? ", color=\"#c0392b\", penwidth=2" : "") << "];\n";
  }
  auto edge_count = [&](const std::string& from, const std::string& port, const std::string& to) -> std::int64_t {
    if (!run) return -1;
    for (const auto& e : run->edges)
      if (!e.control && e.from == from && e.port == port && e.to == to) return e.count;
    return 0;
  };
  for (const auto& n : graph.nodes) {
    for (const auto& in : n.inputs) {
      std::string label = in.port == "out" ? "" : in.port;
      auto c = edge_count(in.node, in.port, n.id);
      if (c >= 0) label += (label.empty() ? "" : ": ") + std::to_string(c);
      o << "  \"" << esc(in.node) << "\" -> \"" << esc(n.id) << "\" [";
      if (!label.empty()) o << "label=\"" << esc(label) << "\", ";
      // Error-like ports are red; data ports (a route's names, a filter's `dropped`) are plain.
      const GraphNode* from = graph.find(in.node);
      const bool data = !from || from->carries_data(in.port);
      o << (in.implicit ? "style=dotted, color=\"#c0392b\"" : data ? "style=solid" : "style=solid, color=\"#c0392b\"")
        << "];\n";
    }
    for (const auto& a : n.after)
      o << "  \"" << esc(a.node) << "\" -> \"" << esc(n.id) << "\" [style=dashed, color=\"#555555\", label=\""
        << (n.after_from_mode ? "after (mode)" : "after") << "\", constraint=true];\n";
  }
  o << "  subgraph cluster_legend {\n    label=\"legend\"; fontsize=10; color=\"#999999\";\n"
    << "    legend_source [label=\"source\", shape=invhouse, fillcolor=\"#cfe2ff\"];\n"
    << "    legend_transform [label=\"transform\", shape=box, fillcolor=\"#fff3cd\"];\n"
    << "    legend_sink [label=\"sink\", shape=cylinder, fillcolor=\"#d4edda\"];\n"
    << "    legend_dead [label=\"dead letters\", shape=cylinder, fillcolor=\"#f6c9c9\"];\n"
    << "    legend_source -> legend_transform [label=\"data\"];\n"
    << "    legend_transform -> legend_sink [style=dashed, color=\"#555555\", label=\"after (control)\"];\n"
    << "    legend_transform -> legend_dead [style=dotted, color=\"#c0392b\", label=\"errors\"];\n"
    << "  }\n}\n";
  return o.str();
}

}  // namespace flowrun
