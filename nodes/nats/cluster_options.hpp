// The top-level `cluster:` map of a pipeline (docs/cluster.md), bound by the option table in
// cluster_options.cpp, and the names every process derives from it for one run.
#pragma once
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "engine/option_table.hpp"

namespace flowrun::nats {

using namespace std::chrono_literals;

struct ClusterOptions {
  std::string nats;        // server URL(s), comma-separated
  std::string stream;      // JetStream stream; "" = the pipeline's name
  std::string user, password, token, creds;
  std::chrono::milliseconds ack_wait = 60s;
  int max_deliver = 5;
  std::chrono::milliseconds dedup_window = 2min;
  std::chrono::milliseconds max_age = 24h * 7;
  std::chrono::milliseconds outage = 60s;
  std::chrono::milliseconds worker_lost_after = 10s;
  std::chrono::milliseconds stall_timeout = 30min;
  int max_ack_pending = 256;  // per edge into a group, unless the group says otherwise
  YAML::Node groups;          // name -> {max_ack_pending: N}
};

const std::shared_ptr<const OptionSchema>& cluster_schema();
// The groups `groups:` declares, in file order.
std::vector<std::string> declared_groups(const ClusterOptions& o);
// MaxAckPending of the consumers that feed `group`.
int max_ack_pending_for(const ClusterOptions& o, const std::string& group);

// Names in NATS, the same in every process of one run.
struct RunNames {
  std::string stream;       // JetStream stream holding every run's records
  std::string runs_bucket;  // KV: "run.<id>" announces each run to the workers
  std::string run_bucket;   // KV of one run: edge states, workers' heartbeats and summaries
  std::string run_id;
  std::string subject(int edge) const;   // flowrun.<stream>.<run>.e<edge>
  std::string consumer(int edge) const;  // <run>-e<edge> (durable)
  std::string subjects() const;          // flowrun.<stream>.>  (the stream's subjects)
  std::string run_subjects() const;      // flowrun.<stream>.<run>.>
};
RunNames run_names(const ClusterOptions& o, const std::string& pipeline_name, const std::string& run_id);
// [A-Za-z0-9_-] only: what stream, bucket and durable names allow.
std::string safe_name(const std::string& s);

}  // namespace flowrun::nats
