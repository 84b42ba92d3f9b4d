// `mode:` is sugar: it only fills in `after:` and `concurrency:` defaults where the file set none
// (docs/pipeline.md, "Modes"). `flowrun dot` shows the result.
#include <map>
#include <set>

#include "engine/adaptive_config.hpp"
#include "engine/graph.hpp"

namespace flowrun {

namespace {

// Whether `from` already waits, through data or control edges, on `target`.
bool waits_on(const Graph& g, const std::string& from, const std::string& target) {
  std::map<std::string, const GraphNode*> by_id;
  for (const auto& n : g.nodes) by_id[n.id] = &n;
  std::set<std::string> seen;
  std::vector<std::string> todo{from};
  while (!todo.empty()) {
    const std::string id = todo.back();
    todo.pop_back();
    if (id == target) return true;
    if (!seen.insert(id).second) continue;
    auto it = by_id.find(id);
    if (it == by_id.end()) continue;
    for (const auto& r : it->second->inputs) todo.push_back(r.node);
    for (const auto& r : it->second->after) todo.push_back(r.node);
  }
  return false;
}

}  // namespace

void apply_mode(Graph& g, const std::set<std::string>& explicit_concurrency) {
  if (g.mode.empty() || g.mode == "parallel") return;
  if (g.mode == "adaptive") return apply_adaptive_mode(g, explicit_concurrency);  // adaptive_config.cpp
  std::map<std::string, std::string> last_of_group;  // group -> last source id
  for (auto& n : g.nodes) {
    if (g.mode == "sequential" && !explicit_concurrency.count(n.id)) n.concurrency = 1;
    if (n.role() != Role::source) continue;
    const std::string group = g.mode == "sequential" ? "" : n.type;
    auto it = last_of_group.find(group);
    // A source with its own `after:` keeps it; and the chain never waits on a source that
    // itself waits on this one (that would be a cycle the user never wrote).
    if (it != last_of_group.end() && n.after.empty() && !waits_on(g, it->second, n.id)) {
      n.after.push_back(PortRef{it->second, "out", n.where});
      n.after_from_mode = true;
    }
    last_of_group[group] = n.id;
  }
}

}  // namespace flowrun
