// `concurrency: adaptive` in a pipeline file: the values a node or a `resources.concurrency`
// entry gives, how they are read and checked (file:line:column), and `mode: adaptive`.
// The limit itself, which runs, is engine/adaptive_limit.hpp.
#pragma once
#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>

#include "engine/diagnostics.hpp"

namespace flowrun {

struct GraphNode;
struct Graph;

// Where an adaptive limit may move, and where it starts.
struct AdaptiveBounds {
  int min = 1;
  int max = 64;
  int initial = 1;
};

// A node's `concurrency: adaptive`: its own limit, or one shared with every node that names the
// same `resources.concurrency` entry (two LLM nodes on one server).
struct AdaptiveConcurrency {
  AdaptiveBounds bounds;
  std::string shared;  // the resources.concurrency entry; "" = the node's own limit
};

inline constexpr int kAdaptiveDefaultMax = 64;
inline constexpr int kMaxConcurrency = 4096;

// Reads a node's `concurrency:` value into `n` (n.concurrency, n.adaptive): `N`, `unlimited`,
// `adaptive`, or a map {adaptive: true|NAME, min, max, initial}. Problems become diagnostics at
// the offending value.
void read_concurrency(GraphNode& n, const YAML::Node& value, const YAML::Node& resources,
                      const std::string& file, Diagnostics& diags);

// Checks every `resources.concurrency` entry ({min, max, initial}) with file:line:column.
void check_concurrency_resources(const YAML::Node& resources, const std::string& file, Diagnostics& diags);

// Bounds of one `resources.concurrency` entry; assumes check_concurrency_resources passed
// (unreadable values fall back to the defaults).
AdaptiveBounds adaptive_bounds_of(const YAML::Node& entry);

// `mode: adaptive`: every I/O node (descriptor blocking_io) without its own `concurrency:` gets
// an adaptive limit of its own (min 1, max 64, starting at the node type's default).
void apply_adaptive_mode(Graph& g, const std::set<std::string>& explicit_concurrency);

}  // namespace flowrun
