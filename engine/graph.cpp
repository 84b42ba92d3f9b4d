#include "engine/graph.hpp"

#include <algorithm>

namespace flowrun {

std::vector<std::string> GraphNode::ports() const {
  std::vector<std::string> p{"out", "errors"};
  if (desc) p.insert(p.end(), desc->ports.begin(), desc->ports.end());
  if (desc) p.insert(p.end(), desc->data_ports.begin(), desc->data_ports.end());
  p.insert(p.end(), instance_ports.begin(), instance_ports.end());
  return p;
}

bool GraphNode::carries_data(const std::string& port) const {
  auto has = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), port) != v.end(); };
  return port == "out" || (desc && has(desc->data_ports)) || has(instance_ports);
}

const GraphNode* Graph::find(const std::string& id) const {
  int i = index_of(id);
  return i < 0 ? nullptr : &nodes[i];
}

int Graph::index_of(const std::string& id) const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].id == id) return static_cast<int>(i);
  return -1;
}

std::vector<int> Graph::consumers(int producer, const std::string& port) const {
  std::vector<int> out;
  const std::string& pid = nodes[producer].id;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (const auto& in : nodes[i].inputs)
      if (in.node == pid && in.port == port) {
        out.push_back(static_cast<int>(i));
        break;
      }
  return out;
}

std::vector<int> Graph::data_predecessors(int node) const {
  std::vector<int> out;
  for (const auto& in : nodes[node].inputs) {
    int i = index_of(in.node);
    if (i >= 0 && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  }
  return out;
}

std::vector<int> Graph::control_predecessors(int node) const {
  std::vector<int> out;
  for (const auto& a : nodes[node].after) {
    int i = index_of(a.node);
    if (i >= 0 && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  }
  return out;
}

std::vector<int> Graph::dead_letter_nodes() const {
  std::vector<int> out;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].desc && nodes[i].desc->dead_letter) out.push_back(static_cast<int>(i));
  return out;
}

}  // namespace flowrun
