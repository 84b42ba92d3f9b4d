// Node types register a descriptor here. The engine validates, builds and documents nodes only
// through descriptors, so it never knows a node type by name.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/fields.hpp"
#include "engine/node.hpp"
#include "engine/option_table.hpp"

namespace flowrun {

enum class Role { source, transform, sink };

// Output ports one node can have, all kinds together ("out", "errors", declared and instance
// ports): the runner gives every node a fixed tuple of this many oneTBB ports.
constexpr int kMaxOutputPorts = 16;
const char* to_string(Role r);

using Settings = std::map<std::string, std::string>;

struct NodeDescriptor {
  std::string type;  // the YAML `type:`
  Role role = Role::transform;
  std::string description;
  // Extra output ports besides "out" and "errors" that carry failures (a validator's `rejected`):
  // when nobody consumes one, its records go to the dead-letter node.
  std::vector<std::string> ports;
  // Extra output ports that carry ordinary records (a filter's `dropped`): nobody consuming one is
  // fine, and the node may ask its Emitter whether anyone does.
  std::vector<std::string> data_ports;
  // False when records leave only by named ports (a route's routes): then `inputs: [x]`, which
  // means x.out, is an error. The runner still numbers "out" as port 0.
  bool sends_out = true;
  bool blocking_io = false;        // process() blocks on I/O: run it on the node's own I/O threads
  bool dead_letter = false;        // receives error ports nobody consumes
  int default_concurrency = 1;

  // The typed option table (engine/option_table.hpp, built with NodeType<Opts>): binds, validates
  // and documents the type's options.
  std::shared_ptr<const OptionSchema> schema;
  std::function<std::unique_ptr<Node>(const BoundOptions&, const NodeInfo&)> create;
  // Optional: for `flowrun check --env`, checks that what the node talks to answers (a server,
  // a database) within a short timeout. Returns "" when fine, else one line saying what is wrong.
  std::function<std::string(const BoundOptions&, const NodeInfo&, const Settings&)> check_env;
  // Optional: output ports that depend on the instance's options (a route node's route names).
  std::function<std::vector<std::string>(const BoundOptions&)> instance_ports;
  // Optional, for nodes that write the store: the store URL an instance writes ("" = the
  // pipeline's `store:`), so that `flowrun check` can warn about a worker group writing a store
  // that lives on one machine (docs/cluster.md).
  std::function<std::string(const BoundOptions&)> store_url;
  // Optional: the fields the records on this node's data ports carry, given the fields of what
  // arrives (nullopt: unknown). Absent means unknown, which is always safe (engine/fields.hpp).
  std::function<std::optional<FieldSet>(const BoundOptions&, const std::optional<FieldSet>& input)> record_fields;

  // Until every family binds typed options (issue 13): the untyped table and factory.
  std::vector<OptionSpec> options;
  std::function<std::unique_ptr<Node>(const NodeConfig&)> factory;
  std::function<std::string(const NodeConfig&, const Settings& settings)> probe;

  const std::vector<OptionSpec>& option_specs() const { return schema ? schema->specs() : options; }
};

// Something that wants to hear about whole runs (the run ledger in the store, metrics files).
struct RunSummary;
struct RunObserver {
  std::function<void(RunContext&)> on_start;
  std::function<void(RunContext&, const RunSummary&)> on_finish;
};

// A store backend's URL scheme (`sqlite:`, `postgresql://`): registered by the store family so
// that the engine can check a pipeline's `store:` without knowing any backend.
struct StoreScheme {
  std::string scheme;  // the part before ':'
  std::string doc;
  // Makes the URL independent of the working directory (a relative SQLite path resolves from the
  // pipeline's folder); "" when fine, else sets `why`.
  std::function<std::string(const std::string& url, const std::string& base_dir, std::string& why)> resolve;
  // A file on the machine of the process that opens it (SQLite): every worker of a cluster group
  // would write its own copy.
  bool one_machine = false;
};

struct ClusterTransport;  // engine/cluster.hpp

class Registry {
 public:
  void add(NodeDescriptor d);  // throws std::logic_error on a duplicate type
  const NodeDescriptor* find(const std::string& type) const;
  std::vector<std::string> types() const;  // sorted
  std::vector<const NodeDescriptor*> all() const;

  void add_store_scheme(StoreScheme s) { store_schemes_.push_back(std::move(s)); }
  // The URL resolved by its scheme; an unknown scheme sets `why` (naming the known ones).
  std::string resolve_store(const std::string& url, const std::string& base_dir, std::string& why) const;
  bool store_on_one_machine(const std::string& url) const;  // its scheme says so (StoreScheme)
  const StoreScheme* store_scheme(const std::string& url) const;  // by the URL's scheme; null if none

  void add_observer(RunObserver o) { observers_.push_back(std::move(o)); }
  const std::vector<RunObserver>& observers() const { return observers_; }

  // The transport that carries edges between groups of a clustered pipeline (docs/cluster.md);
  // null in a build without one, where `cluster:` is an error.
  void set_cluster(std::shared_ptr<const ClusterTransport> t) { cluster_ = std::move(t); }
  const ClusterTransport* cluster() const { return cluster_.get(); }

 private:
  std::shared_ptr<const ClusterTransport> cluster_;
  std::map<std::string, NodeDescriptor> types_;
  std::vector<RunObserver> observers_;
  std::vector<StoreScheme> store_schemes_;
};

// Options every node accepts, handled by the engine (concurrency, buffer, inputs, after, ...).
const std::vector<OptionSpec>& common_options();

// Binds `options` (a YAML map) against the type's table, runs its checks and creates the node: what
// the loader and the runner do for one node, for tests and tools that make nodes by hand. Throws
// PipelineError with every problem found.
std::unique_ptr<Node> make_node(const NodeDescriptor& d, const std::string& id, const YAML::Node& options,
                                 const std::string& base_dir = "", const YAML::Node& resources = YAML::Node());

}  // namespace flowrun
