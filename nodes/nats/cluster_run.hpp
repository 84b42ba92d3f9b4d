// The NATS transport's entry points (registered in register.cpp): `flowrun run` of a clustered
// pipeline, `flowrun worker`, and `flowrun check --env`.
#pragma once
#include <memory>
#include <string>

#include "engine/cluster.hpp"
#include "engine/pipeline.hpp"
#include "nodes/nats/cluster_options.hpp"
#include "nodes/nats/nats_client.hpp"

namespace flowrun::nats {

RunSummary run_cluster(const Graph& graph, const Registry& registry, const RunOptions& opts);
int serve_worker(const Graph& graph, const Registry& registry, const WorkerOptions& opts);
std::string check_cluster_env(const Graph& graph);

// Shared by both sides.
std::shared_ptr<Connection> connect(const ClusterOptions& o, const std::string& client_name);
// What must be the same in the run and its workers: node ids, types, groups and edges.
std::string fingerprint(const Graph& expanded);
std::string make_run_id();
std::string host_process_id();

}  // namespace flowrun::nats
