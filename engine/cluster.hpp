// One pipeline over several processes (docs/cluster.md). Nodes carry a `group:`; an edge between
// nodes of different groups is carried by a registered transport (NATS JetStream, nodes/nats/).
// The engine knows no transport: it places nodes, checks the placement, expands the pipeline so
// that every cross-group edge becomes a publishing sink in the producer's group and a consuming
// source in the consumer's, and cuts out the graph one process runs. The transport runs group
// `main` (`flowrun run`) and the workers (`flowrun worker`).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph.hpp"
#include "engine/metrics.hpp"

namespace flowrun {

struct RunOptions;

// One cross-group edge of the expanded pipeline: records of `from.port` (a node of `from_group`)
// travel to the consumers in `to_group` through `publisher` (a sink in from_group) and
// `subscriber` (a source in to_group).
struct ClusterEdge {
  int index = 0;  // position in cluster_edges(): the same in every process
  std::string from, port, from_group, to_group;
  std::string publisher, subscriber;  // node ids in the expanded graph
  std::vector<std::string> to;        // the consumers in to_group
  std::string label() const;          // "normalize -> llm", "enrich.errors -> main"
};

// What `flowrun worker` asks of the transport.
struct WorkerOptions {
  std::string group;
  bool once = false;  // leave after serving one run
  bool handle_signals = true;
  std::map<std::string, std::string> settings;  // as RunOptions::settings
};

struct ClusterTransport {
  std::string name;  // "nats", the key of `cluster:` that names the server
  std::shared_ptr<const OptionSchema> schema;  // binds and documents the top-level `cluster:` map
  std::function<std::vector<std::string>(const BoundOptions&)> groups;  // the groups it declares
  // The two ends of a cross-group edge. Their options are the ClusterEdge they carry.
  NodeDescriptor publisher, subscriber;
  // `flowrun check --env`: "" when the server answers, else one line saying what is wrong.
  std::function<std::string(const Graph&)> check_env;
  // `flowrun run` of a clustered pipeline: runs group main and returns the whole run's summary.
  std::function<RunSummary(const Graph&, const Registry&, const RunOptions&)> run;
  // `flowrun worker`: serves runs for one group; returns the exit code.
  std::function<int(const Graph&, const Registry&, const WorkerOptions&)> serve;
};

// The pipeline with every cross-group edge replaced by a publisher/subscriber pair; nothing changes
// in a pipeline whose nodes all sit in one group. Consuming sources route the messages they cannot
// read to the pipeline's dead-letter node, across groups if need be.
Graph expand_cluster(const Graph& whole, const ClusterTransport& transport);
// The cross-group edges of an expanded graph, in a stable order.
std::vector<ClusterEdge> cluster_edges(const Graph& expanded, const ClusterTransport& transport);
// The nodes of one group of an expanded graph: what one process runs.
Graph cut_group(const Graph& expanded, const std::string& group);
// Whether a node of an expanded graph is a transport end (its counts are not records of the run's
// sources and sinks, e.g. a subscriber is no source of new records).
bool is_transport_node(const GraphNode& n, const ClusterTransport& transport);

// Binds the top-level `cluster:` map through the registered transport (an error in a build without
// one) into g.cluster and g.groups.
void bind_cluster(Graph& g, const YAML::Node& cluster, const Registry& registry, BindContext& ctx,
                  const Location& where);
// `flowrun check`: every group is declared, sources and control edges stay where they can work,
// rate-limited nodes run in one process (so that the limit holds cluster-wide).
void check_placement(const Graph& g, const Registry& registry, Diagnostics& diags);

// The summary of a whole run from its processes' summaries (main's and every worker's): counts
// of a node summed over the processes that ran it, in the expanded graph's node order.
RunSummary merge_summaries(const Graph& expanded, const ClusterTransport& transport, const RunSummary& main,
                           const std::vector<RunSummary>& workers);
// A summary as RunSummary::to_json() wrote it (what workers send to the run).
RunSummary summary_from_json(const boost::json::object& o);

}  // namespace flowrun
