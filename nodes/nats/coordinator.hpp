// The run's side of a clustered run (`flowrun run`): announces the run to the workers, decides
// when each cross-group edge has ended, watches the workers, and at the end waits until every
// record of the run has reached its end in whichever process, then merges every process's counts.
//
// An edge from group main has ended when main's publisher of it has finished. An edge from a
// worker group has ended when every edge into that group from which it is fed is complete: ended,
// and every message on it delivered and acknowledged. Because a worker acknowledges an input only
// after all that came of it was published (and acknowledged by JetStream) or committed by a
// sink, a complete input means its outputs are all in the stream: completion follows the data,
// with no timeout. The run is complete when every edge is.
#pragma once
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/cluster.hpp"
#include "nodes/nats/session.hpp"

namespace flowrun::nats {

class Coordinator {
 public:
  Coordinator(const Graph& expanded, const ClusterTransport& transport, std::shared_ptr<Session> session,
              std::shared_ptr<Kv> runs, std::shared_ptr<Kv> run_kv, std::string announcement);
  ~Coordinator();

  void start();
  // The runner's `complete` hook: waits for the whole run, merges the workers' summaries into `s`
  // (nodes) and `ctx` (counters, warnings, outputs).
  std::string finish(RunSummary& s, RunContext& ctx, bool stopped);
  // Main's own progress (sum of its node counters), so that a long local phase is no stall.
  void note_local_progress(std::int64_t total);
  void stop();

 private:
  struct WorkerSeen {
    std::string group, state, failure;
    std::uint64_t revision = 0;
    std::chrono::steady_clock::time_point changed;
    bool lost = false;
    boost::json::object summary;
  };

  void loop();
  void tick();
  void update_edges();
  void update_workers();
  void heartbeat(const std::string& state);
  bool all_complete();
  bool workers_settled();
  std::vector<int> feeding_edges(int edge) const;

  const Graph& expanded_;
  const ClusterTransport& transport_;
  std::shared_ptr<Session> session_;
  std::shared_ptr<Kv> runs_, run_kv_;
  std::string announcement_;  // the run's JSON without state and beat
  std::vector<std::vector<int>> feeds_;  // per edge: the edges into its group that feed it

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> complete_, ended_written_;
  std::map<std::string, WorkerSeen> workers_;
  std::vector<std::string> warnings_;
  std::string state_ = "running";
  std::uint64_t beat_ = 0;
  std::int64_t local_progress_ = 0;
  std::string progress_signature_;
  std::chrono::steady_clock::time_point last_progress_, last_beat_, nats_failing_since_, last_workers_poll_;
  std::map<int, std::chrono::steady_clock::time_point> waiting_since_;
  std::map<int, std::int64_t> most_ack_pending_;  // per edge: the most records held unacknowledged at once
  std::atomic<bool> stop_{false};
  std::thread thread_, beat_thread_;
};

}  // namespace flowrun::nats
