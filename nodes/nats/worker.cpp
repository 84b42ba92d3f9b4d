// `flowrun worker FILE --group NAME [--once]`: joins the runs announced on the pipeline's stream
// and runs the group's part of each. A worker processes a run in rounds: a round is one run of
// the group's graph, which ends when the group's input edges have ended and nothing is left for
// this worker (its batching sinks commit at the round's end, which acknowledges what they held).
// Between rounds the worker watches its inputs: a record that comes back (a worker died, its
// records were delivered again) starts another round. It leaves the run when the run is complete,
// failed or gone, or on SIGTERM, after the round in progress has drained.
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <set>
#include <thread>

#include "engine/json_text.hpp"
#include "nodes/nats/cluster_run.hpp"
#include "nodes/nats/session.hpp"

namespace flowrun::nats {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::atomic<int> g_signals{0};
extern "C" void on_worker_signal(int) {
  if (g_signals.fetch_add(1) >= 1) std::_Exit(130);  // a second signal: leave now
}

struct Announcement {
  std::string run_id, fingerprint, state;
  std::int64_t beat = 0;
};

std::optional<Announcement> parse_announcement(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  Announcement a;
  auto str = [&](const char* k) {
    const auto* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  a.run_id = str("run_id");
  a.fingerprint = str("fingerprint");
  a.state = str("state");
  if (const auto* b = o.if_contains("beat"); b && b->is_int64()) a.beat = b->get_int64();
  return a;
}

class Worker {
 public:
  Worker(const Graph& graph, const Registry& registry, const WorkerOptions& wo)
      : registry_(registry),
        transport_(*registry.cluster()),
        wo_(wo),
        co_(graph.cluster.as<ClusterOptions>()),
        pipeline_(graph.name),
        expanded_(expand_cluster(graph, transport_)),
        part_(cut_group(expanded_, wo.group)),
        edges_(cluster_edges(expanded_, transport_)),
        fingerprint_(fingerprint(expanded_)),
        id_(host_process_id()) {
    for (const auto& e : edges_)
      if (e.to_group == wo.group) inputs_.push_back(e.index);
  }

  const Graph& part() const { return part_; }

  int serve() {
    try {
      conn_ = connect(co_, "flowrun worker " + wo_.group + " " + id_);
    } catch (const std::exception& e) {
      spdlog::error("worker: {}", e.what());
      return 1;
    }
    spdlog::info("worker {} of group '{}' on NATS {}: waiting for runs of '{}'", id_, wo_.group, conn_->where(), pipeline_);
    int rc = 0;
    while (g_signals.load() == 0) {
      std::optional<Announcement> run;
      try {
        run = next_run();
      } catch (const NatsError& e) {
        spdlog::warn("worker: looking for runs: {}", e.what());
      }
      if (!run) {
        std::this_thread::sleep_for(250ms);
        continue;
      }
      served_.insert(run->run_id);
      rc = serve_run(*run);
      // --once: leave after a run that ended here (not one whose `flowrun run` had died).
      if (wo_.once && (run_state_ != "lost" || g_signals.load() > 0)) break;
    }
    return rc;
  }

 private:
  // The oldest announced run that is running, not served yet, and made from the same pipeline.
  std::optional<Announcement> next_run() {
    if (!runs_) {
      try {
        runs_ = conn_->bucket(run_names(co_, pipeline_, "").runs_bucket, false);
      } catch (const NatsError& e) {
        if (e.status == NATS_NOT_FOUND) return std::nullopt;  // no run has started yet
        throw;
      }
    }
    auto keys = runs_->keys();
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) {
      if (key.rfind("run.", 0) != 0 || served_.count(key.substr(4))) continue;
      auto text = runs_->get(key);
      if (!text) continue;
      auto a = parse_announcement(*text);
      if (!a || a->state != "running") continue;
      if (a->fingerprint != fingerprint_) {
        spdlog::error("run {} was started from a different pipeline (nodes, types, groups or edges differ from this "
                      "worker's file): not joining it",
                      a->run_id);
        served_.insert(a->run_id);
        continue;
      }
      return a;
    }
    return std::nullopt;
  }

  // Watches the run's announcement and keeps this worker's own entry fresh, every 300 ms.
  void heartbeat_loop(Session& session, const std::string& key) {
    auto last_beat_change = std::chrono::steady_clock::now();
    std::int64_t last_beat = -1;
    auto last_keep_alive = std::chrono::steady_clock::now();
    auto last_seen = std::chrono::steady_clock::now();  // the last time this loop could read NATS
    while (!leaving_) {
      for (int i = 0; i < 3 && !leaving_; ++i) {
        std::this_thread::sleep_for(100ms);
        if (g_signals.load() > 0) session.request_stop();
        if (std::chrono::steady_clock::now() - last_keep_alive >= co_.ack_wait / 4) {
          session.keep_alive();
          last_keep_alive = std::chrono::steady_clock::now();
        }
      }
      try {
        put_state(session.names(), "serving");
        auto text = runs_->get(key);
        auto a = text ? parse_announcement(*text) : std::nullopt;
        const auto now = std::chrono::steady_clock::now();
        // A long gap since the last read (calls blocked while NATS restarted) hid main from us:
        // its silence counts from now, and main beats again within worker_lost_after.
        if (now - last_seen > 1500ms) last_beat_change = now;
        last_seen = now;
        if (!a || a->state != "running") {
          run_state_ = a ? a->state : "gone";
          session.request_stop();
        } else if (a->beat != last_beat) {
          last_beat = a->beat;
          last_beat_change = now;
        } else if (now - last_beat_change > co_.worker_lost_after) {
          spdlog::error("run {}: `flowrun run` silent for {} s, leaving the run", session.names().run_id,
                        co_.worker_lost_after.count() / 1000);
          run_state_ = "lost";
          session.request_stop();
          runs_->erase(key);  // a dead run's announcement would only mislead the next worker
        }
      } catch (const NatsError& e) {
        // While NATS is unreachable, main's silence says nothing about main: count it afresh
        // once the server answers again (main reconnects and beats within worker_lost_after).
        last_beat_change = std::chrono::steady_clock::now();
        spdlog::warn("worker: heartbeat: {}", e.what());
      }
    }
  }

  void put_state(const RunNames& names, const std::string& state) {
    std::string v = "{\"group\":";
    append_json_string(v, wo_.group);
    v += ",\"state\":";
    append_json_string(v, state);
    v += ",\"beat\":" + std::to_string(++beat_) + ",\"rounds\":" + std::to_string(rounds_) + ",\"failure\":";
    {
      std::lock_guard lock(mu_);
      append_json_string(v, failure_);
      v += ",\"summary\":";
      if (rounds_ > 0) append_json(v, summary_.to_json());
      else v += "{}";
    }
    v += '}';
    run_kv_->put("w." + id_, v);
  }

  void add_round(const RunSummary& s) {
    std::lock_guard lock(mu_);
    summary_ = rounds_ == 0 ? s : merge_summaries(part_, transport_, summary_, {s});
    ++rounds_;
    if (s.exit_code != 0 && s.status == "failed" && failure_.empty()) failure_ = s.failure.empty() ? "round failed" : s.failure;
  }

  // A message on any input (watching between rounds): it starts another round.
  bool input_waiting(Session& session) {
    for (int i : inputs_) {
      auto in = session.input(i);
      if (in->has_prefetched()) return true;
      std::vector<natsMsg*> got;
      if (in->fetch(1, 300ms, got) == NATS_OK && !got.empty()) {
        for (auto* m : got) in->put_back(m);
        return true;
      }
    }
    return false;
  }

  int serve_run(const Announcement& a) {
    const RunNames names = run_names(co_, pipeline_, a.run_id);
    try {
      run_kv_ = conn_->bucket(names.run_bucket, false);
    } catch (const NatsError& e) {
      spdlog::warn("run {}: {}", a.run_id, e.what());
      return 1;
    }
    spdlog::info("joining run {} as worker {} of group '{}'", a.run_id, id_, wo_.group);
    auto session = std::make_shared<Session>(conn_, co_, names, edges_, id_, false);
    session->set_run_kv(run_kv_);
    const std::string key = Session::add(session);
    leaving_ = false;
    rounds_ = 0;
    failure_.clear();
    run_state_ = "running";
    put_state(names, "serving");
    std::thread beat([&] { heartbeat_loop(*session, "run." + a.run_id); });

    bool round_due = true;
    while (!session->stopping()) {
      if (round_due) {
        RunOptions ro;
        ro.run_id = a.run_id;
        ro.settings = wo_.settings;
        ro.settings["nats.session"] = key;
        try {
          add_round(run_pipeline(part_, registry_, ro));
          session->end_isolation();  // a redelivered record started alone has finished with its round
        } catch (const std::exception& e) {
          std::lock_guard lock(mu_);
          failure_ = e.what();
        }
        if (!failure_.empty()) break;
        round_due = false;
        continue;
      }
      try {
        round_due = input_waiting(*session);
      } catch (const NatsError& e) {
        spdlog::warn("worker: watching inputs: {}", e.what());
        std::this_thread::sleep_for(500ms);
      }
    }
    leaving_ = true;
    beat.join();
    const bool failed = !failure_.empty();
    try {
      put_state(names, failed ? "failed" : "left");
    } catch (const NatsError& e) {
      spdlog::warn("worker: could not report leaving run {}: {}", a.run_id, e.what());
    }
    Session::remove(key);
    if (failed) spdlog::error("run {}: worker failed: {}", a.run_id, failure_);
    else spdlog::info("left run {} ({}) after {} round(s)", a.run_id, run_state_, rounds_);
    if (failed) return 1;
    if (g_signals.load() > 0) return 0;  // drained on SIGTERM
    return run_state_ == "complete" ? 0 : 1;
  }

  const Registry& registry_;
  const ClusterTransport& transport_;
  const WorkerOptions wo_;
  const ClusterOptions co_;
  const std::string pipeline_;
  const Graph expanded_, part_;
  const std::vector<ClusterEdge> edges_;
  const std::string fingerprint_, id_;
  std::vector<int> inputs_;
  std::shared_ptr<Connection> conn_;
  std::shared_ptr<Kv> runs_, run_kv_;
  std::set<std::string> served_;

  std::mutex mu_;
  RunSummary summary_;
  int rounds_ = 0;
  std::string failure_;
  std::atomic<bool> leaving_{false};
  std::string run_state_;
  std::int64_t beat_ = 0;
};

}  // namespace

int serve_worker(const Graph& graph, const Registry& registry, const WorkerOptions& wo) {
  if (!graph.clustered) {
    std::cerr << graph.file << ": no `cluster:` in this pipeline, so it has no worker groups\n";
    return 2;
  }
  if (wo.group == "main" || std::find(graph.groups.begin(), graph.groups.end(), wo.group) == graph.groups.end()) {
    std::vector<std::string> groups(graph.groups.begin() + 1, graph.groups.end());
    std::string list;
    for (const auto& g : groups) list += (list.empty() ? "" : ", ") + g;
    std::cerr << graph.file << ": --group " << wo.group << ": "
              << (wo.group == "main" ? "group main is run by `flowrun run`" : "no such group")
              << "; worker groups: " << (list.empty() ? "none" : list) << "\n";
    return 2;
  }
  Worker worker(graph, registry, wo);
  if (worker.part().nodes.empty()) {
    std::cerr << graph.file << ": group '" << wo.group << "' has no nodes\n";
    return 2;
  }
  void (*old_int)(int) = nullptr;
  void (*old_term)(int) = nullptr;
  if (wo.handle_signals) {
    g_signals = 0;
    old_int = std::signal(SIGINT, on_worker_signal);
    old_term = std::signal(SIGTERM, on_worker_signal);
  }
  const int rc = worker.serve();
  if (wo.handle_signals) {
    std::signal(SIGINT, old_int ? old_int : SIG_DFL);
    std::signal(SIGTERM, old_term ? old_term : SIG_DFL);
  }
  return rc;
}

}  // namespace flowrun::nats
