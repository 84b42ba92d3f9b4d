// Node types register a descriptor here. The engine validates, builds and documents nodes only
// through descriptors, so it never knows a node type by name.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/node.hpp"
#include "engine/options.hpp"

namespace flowrun {

enum class Role { source, transform, sink };
const char* to_string(Role r);

struct NodeDescriptor {
  std::string type;  // the YAML `type:`
  Role role = Role::transform;
  std::string description;
  std::vector<OptionSpec> options;
  std::vector<std::string> ports;  // extra output ports besides "out" and "errors" (at most 4)
  bool blocking_io = false;        // process() blocks on I/O: run it on the node's own I/O threads
  bool dead_letter = false;        // receives error ports nobody consumes
  int default_concurrency = 1;
  std::function<std::unique_ptr<Node>(const NodeConfig&)> factory;
  // Optional: for `flowrun check --env`, checks that what the node talks to answers (a server,
  // a database) within a short timeout. Returns "" when fine, else one line saying what is wrong.
  std::function<std::string(const NodeConfig&, const std::map<std::string, std::string>& settings)> probe;
};

// Something that wants to hear about whole runs (the run ledger in the store, metrics files).
struct RunSummary;
struct RunObserver {
  std::function<void(RunContext&)> on_start;
  std::function<void(RunContext&, const RunSummary&)> on_finish;
};

class Registry {
 public:
  void add(NodeDescriptor d);  // throws std::logic_error on a duplicate type
  const NodeDescriptor* find(const std::string& type) const;
  std::vector<std::string> types() const;  // sorted
  std::vector<const NodeDescriptor*> all() const;

  void add_observer(RunObserver o) { observers_.push_back(std::move(o)); }
  const std::vector<RunObserver>& observers() const { return observers_; }

 private:
  std::map<std::string, NodeDescriptor> types_;
  std::vector<RunObserver> observers_;
};

// Options every node accepts, handled by the engine (concurrency, buffer, inputs, after, ...).
const std::vector<OptionSpec>& common_options();

}  // namespace flowrun
