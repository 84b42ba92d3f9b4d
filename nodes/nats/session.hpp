// What the transport nodes of one process share for one run (docs/cluster.md): the NATS
// connection, the run's names and edges, the subscriptions of the edges this process consumes
// (kept across a worker's rounds), which edges have ended, and whether the run must stop.
// `flowrun run` and `flowrun worker` make one, register it, and hand its key to the nodes in the
// run setting "nats.session".
#pragma once
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/cluster.hpp"
#include "engine/handoff.hpp"
#include "nodes/nats/cluster_options.hpp"
#include "nodes/nats/nats_client.hpp"

namespace flowrun::nats {

// What a JetStream message's reply subject says about its delivery.
struct Delivery {
  std::uint64_t delivered = 1;   // 1 = first delivery
  std::uint64_t stream_seq = 0;  // its sequence in the stream
};
Delivery delivery_of(natsMsg* m);

// The pull inbox of one edge this process consumes, and the messages it holds unacknowledged.
// Pulls are JetStream requests of our own (MSG.NEXT with batch and expires) and acknowledgements
// are published to each message's reply subject: libnats 3.4.1's natsSubscription_Fetch returned
// more messages than its batch while the server restarted and wrote past its own array (issue 14).
class InputEdge : public std::enable_shared_from_this<InputEdge> {
 public:
  InputEdge(std::shared_ptr<Connection> conn, Connection::PullInbox in) : conn_(std::move(conn)), in_(std::move(in)) {}
  ~InputEdge();

  // Up to `n` messages, waiting at most `wait`; messages taken before (a worker's watch between
  // rounds) and late ones of earlier pulls come first. Returns the status of the pull
  // (NATS_TIMEOUT when none came).
  natsStatus fetch(int n, std::chrono::milliseconds wait, std::vector<natsMsg*>& out);
  void put_back(natsMsg* m);  // taken but not yet emitted: the next fetch returns it first
  bool has_prefetched();
  // The root hand-off token of a message: acknowledges it when the last record derived from it is
  // gone, or naks it when one of them failed (engine/handoff.hpp). Takes the message.
  std::shared_ptr<Handoff> take(natsMsg* m, std::string id);
  void nak(natsMsg* m);  // not processed: give it to another worker now
  std::size_t held();
  // Sends `in progress` for every message held longer than `older_than`, so that long LLM calls
  // and records waiting in a sink's batch are not redelivered to another worker.
  void keep_alive(std::chrono::milliseconds older_than);
  void release(natsMsg* m, bool failed);  // by the root token

 private:
  natsStatus answer(natsMsg* m, const char* what);  // +ACK, -NAK, +WPI to the reply subject
  void keep(natsMsg* m, int n, std::vector<natsMsg*>& out);

  std::shared_ptr<Connection> conn_;
  Connection::PullInbox in_;
  std::mutex mu_;
  std::map<natsMsg*, std::chrono::steady_clock::time_point> held_;
  std::deque<natsMsg*> prefetched_;
  std::mutex fetch_mu_;
  std::uint64_t pulls_ = 0;
};

class Session {
 public:
  Session(std::shared_ptr<Connection> conn, ClusterOptions opts, RunNames names, std::vector<ClusterEdge> edges,
          std::string process_id, bool main);
  ~Session();

  // Sessions by key, for the nodes of the run (RunContext setting "nats.session").
  static std::string add(std::shared_ptr<Session> s);
  static std::shared_ptr<Session> find(const std::string& key);
  static void remove(const std::string& key);

  Connection& nats() { return *conn_; }
  const std::shared_ptr<Connection>& connection() { return conn_; }
  const ClusterOptions& options() const { return opts_; }
  const RunNames& names() const { return names_; }
  const ClusterEdge& edge(int i) const { return edges_.at(static_cast<std::size_t>(i)); }
  const std::vector<ClusterEdge>& edges() const { return edges_; }
  const std::string& process_id() const { return process_id_; }
  bool is_main() const { return main_; }

  // Whether every record of edge i has been published (main: set by the coordinator or main's own
  // publisher; workers: read from the run's KV bucket).
  bool ended(int i);
  void set_ended(int i);
  // The run's KV bucket (edge states, workers), for workers' reads of edge states.
  void set_run_kv(std::shared_ptr<Kv> kv) { run_kv_ = std::move(kv); }
  // Called with an edge index when main's publisher of it has finished (the coordinator listens).
  std::function<void(int)> on_publisher_done;

  std::shared_ptr<InputEdge> input(int i);
  void keep_alive();  // InProgress for long-held messages of every input edge

  // Stop taking records (SIGTERM on a worker, a run that was abandoned); with a reason the run
  // failed and sources throw it.
  void request_stop() { stop_ = true; }
  bool stopping() const { return stop_.load(); }
  void fail(const std::string& why);
  std::string failure();

  // Runs `op` until it succeeds; transient NATS errors (server restarting, reconnecting) are
  // retried until `outage` has passed, then FatalError says so.
  template <class F>
  auto with_retry(const std::string& what, F&& op) -> decltype(op());

  std::string next_message_id(int edge);  // for records without a hand-off token

  // A worker starts a redelivered record alone (docs/cluster.md, "Poison messages"): a crash then
  // counts against that record only, not against the records it happened to be held beside.
  // isolate() claims this process for one until end_isolation() (false: another edge's holds it);
  // meanwhile admission() of a first delivery finds isolated() and waits for the next round.
  bool isolate(int edge);
  bool isolated() const { return isolated_by_.load() >= 0; }
  std::shared_lock<std::shared_mutex> admission() { return std::shared_lock(isolation_mu_); }
  void end_isolation() { isolated_by_ = -1; }  // the round has ended, or nothing was started
  std::size_t in_flight();  // messages of every input taken and not yet acknowledged
  // How many times a redelivered record was started alone, kept in the run's KV bucket so that
  // it survives the worker that crashed on it.
  int started_alone(int edge, const std::string& id);
  void set_started_alone(int edge, const std::string& id, int n);

 private:
  std::shared_ptr<Connection> conn_;
  ClusterOptions opts_;
  RunNames names_;
  std::vector<ClusterEdge> edges_;
  std::string process_id_;
  bool main_;
  std::shared_ptr<Kv> run_kv_;
  std::mutex mu_;
  std::vector<bool> ended_;
  std::map<int, std::shared_ptr<InputEdge>> inputs_;
  std::atomic<bool> stop_{false};
  std::string failure_;
  std::atomic<std::int64_t> counter_{0};
  std::shared_mutex isolation_mu_;
  std::atomic<int> isolated_by_{-1};
};

bool transient(natsStatus s);
[[noreturn]] void throw_outage(const Session& s, const std::string& what, const std::string& last);

template <class F>
auto Session::with_retry(const std::string& what, F&& op) -> decltype(op()) {
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    try {
      return op();
    } catch (const NatsError& e) {
      if (!transient(e.status)) throw;
      if (std::chrono::steady_clock::now() - start > opts_.outage) throw_outage(*this, what, e.what());
      if (stopping() && !failure().empty()) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 4 ? 100 : 500));
    }
  }
}

}  // namespace flowrun::nats
