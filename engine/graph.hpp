// Our own model of a pipeline: nodes, data edges (with ports) and control edges. oneTBB cannot
// list its edges or name its nodes, so everything a user sees (check, DOT, metrics, reports) is
// derived from this model, and the TBB graph is built from it (runner.cpp).
#pragma once
#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/adaptive_config.hpp"
#include "engine/diagnostics.hpp"
#include "engine/options.hpp"
#include "engine/registry.hpp"

namespace flowrun {

struct PortRef {
  std::string node;
  std::string port = "out";
  Location where;
  bool implicit = false;  // added by the engine (unconsumed error port -> dead letters)
  std::string str() const { return port == "out" ? node : node + "." + port; }
};

struct GraphNode {
  std::string id, type, description;
  const NodeDescriptor* desc = nullptr;
  int concurrency = 1;  // 0 = unlimited; with `adaptive`, its max
  std::optional<AdaptiveConcurrency> adaptive;  // concurrency: adaptive (engine/adaptive_config.hpp)
  int buffer = 0;       // capacity of this node's input edge, in records
  bool fatal = false;
  std::string group = "main";   // cluster placement (docs/cluster.md): which process runs it
  std::vector<PortRef> inputs;  // data edges into this node
  std::vector<PortRef> after;   // control edges: start only when these nodes have finished
  bool after_from_mode = false; // the `after:` came from `mode:` sugar (DOT says so)
  NodeInfo info;                // id, type, the pipeline's folder, where the node is declared
  BoundOptions options;         // the type's typed options, as the loader bound them
  NodeConfig config;            // the untyped options, for types without a typed table yet
  std::vector<std::string> instance_ports;  // ports this instance's options declare (route names)
  // The fields of the records arriving and leaving on data ports, when the node types upstream
  // declare them (engine/fields.hpp); nullopt = unknown.
  std::optional<FieldSet> input_fields, output_fields;
  Location where;
  Role role() const { return desc ? desc->role : Role::transform; }
  // "out", "errors", then the descriptor's extra ports and data ports, then the instance's.
  std::vector<std::string> ports() const;
  // Whether `port` carries ordinary records ("out", declared data ports, instance ports) rather
  // than failures ("errors", `rejected`, ...), which go to dead letters when nobody consumes them.
  bool carries_data(const std::string& port) const;
};

struct Graph {
  std::string name, description, file, mode;
  std::string base_dir;           // the pipeline file's folder: relative paths resolve from it
  std::string store;              // store URL ("" = none)
  double max_error_rate = -1;     // -1 = not set: dead letters never fail the run
  int default_buffer = 1024;
  YAML::Node resources;
  std::vector<GraphNode> nodes;   // in file order
  std::map<std::string, std::string> settings;
  std::vector<std::string> secrets;  // resolved secret values: redacted from DOT, logs, reports
  // `cluster:` as the registered transport bound it (docs/cluster.md); `clustered` false without one.
  bool clustered = false;
  BoundOptions cluster;
  std::vector<std::string> groups;  // "main" and the groups `cluster:` declares

  const GraphNode* find(const std::string& id) const;
  int index_of(const std::string& id) const;  // -1 when absent
  // Consumers of one output port: (consumer index) for every node listing it in `inputs:`.
  std::vector<int> consumers(int producer, const std::string& port) const;
  // Every data/control predecessor and successor, by index.
  std::vector<int> data_predecessors(int node) const;
  std::vector<int> control_predecessors(int node) const;
  // Error ports nobody consumes are routed to these (nodes whose descriptor says dead_letter).
  std::vector<int> dead_letter_nodes() const;
};

}  // namespace flowrun
