// FieldSet and the inference of each node's record fields (engine/fields.hpp).
#include "engine/fields.hpp"

#include <functional>

#include "engine/graph.hpp"

namespace flowrun {

namespace {

bool below(const std::string& path, const std::string& parent) {
  return path.size() > parent.size() && path.compare(0, parent.size(), parent) == 0 && path[parent.size()] == '.';
}

}  // namespace

FieldSet::FieldSet(std::initializer_list<std::string> paths) {
  for (const auto& p : paths) add(p);
}

FieldSet::FieldSet(const std::vector<std::string>& paths) {
  for (const auto& p : paths) add(p);
}

void FieldSet::add(const std::string& path) {
  if (path.empty()) return;
  paths_.insert(path);
  for (auto dot = path.rfind('.'); dot != std::string::npos && dot > 0; dot = path.rfind('.', dot - 1)) {
    paths_.insert(path.substr(0, dot));
  }
}

void FieldSet::remove(const std::string& path) {
  for (auto it = paths_.begin(); it != paths_.end();) it = (*it == path || below(*it, path)) ? paths_.erase(it) : std::next(it);
}

void FieldSet::rename(const std::string& from, const std::string& to) {
  std::vector<std::string> moved;
  for (const auto& p : paths_)
    if (p == from || below(p, from)) moved.push_back(to + p.substr(from.size()));
  if (moved.empty()) return;  // the records never carry `from`: nothing to move
  remove(from);
  for (const auto& p : moved) add(p);
}

void FieldSet::merge(const FieldSet& other) { paths_.insert(other.paths_.begin(), other.paths_.end()); }

bool FieldSet::has(const std::string& path) const {
  if (paths_.count(path)) return true;
  for (auto dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1))
    if (paths_.count(path.substr(0, dot) + ".*")) return true;
  return false;
}

std::vector<std::string> FieldSet::names() const {
  std::vector<std::string> out;
  for (const auto& p : paths_)
    if (!p.ends_with(".*")) out.push_back(p);
  return out;
}

void infer_record_fields(Graph& g) {
  const int count = static_cast<int>(g.nodes.size());
  std::vector<int> state(count, 0);  // 0 not yet, 1 in progress (a cycle: unknown), 2 done
  std::function<void(int)> infer = [&](int v) {
    if (state[v]) return;
    state[v] = 1;
    GraphNode& n = g.nodes[v];
    // What arrives is the union of what every input sends; one unknown input makes it unknown,
    // and so do failure ports (errors, rejected), whose records carry what the failure added.
    std::optional<FieldSet> in = FieldSet{};
    for (const auto& ref : n.inputs) {
      const int p = g.index_of(ref.node);
      if (p < 0) { in.reset(); break; }
      infer(p);
      const GraphNode& producer = g.nodes[p];
      if (state[p] != 2 || !producer.carries_data(ref.port) || !producer.output_fields) { in.reset(); break; }
      in->merge(*producer.output_fields);
    }
    if (n.inputs.empty()) in.reset();
    n.input_fields = in;
    n.output_fields.reset();
    if (n.desc && n.desc->record_fields && n.options.value) n.output_fields = n.desc->record_fields(n.options, n.input_fields);
    state[v] = 2;
  };
  for (int v = 0; v < count; ++v) infer(v);
}

}  // namespace flowrun
