// Loading one node of a pipeline (node_spec.cpp): its common options through the engine's table,
// its type's options through the type's table.
#pragma once
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "engine/graph.hpp"

namespace flowrun {

struct NodeLoad {
  const YAML::Node& key;   // the node id as written
  const YAML::Node& body;  // its map of options
  const std::string& file;
  const std::string& base_dir;
  const YAML::Node& resources;
  const Registry& registry;
  int default_buffer = 1024;
};

// The node, or nullopt when it cannot even be typed (every problem is a diagnostic).
std::optional<GraphNode> load_node(const NodeLoad& in, Diagnostics& diags);
// The type's `validate` hook and the generic checks (output folders): what `check` adds.
void check_node_options(const GraphNode& n, Diagnostics& diags);

}  // namespace flowrun
