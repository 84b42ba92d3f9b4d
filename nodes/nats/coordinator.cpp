#include "nodes/nats/coordinator.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "engine/context.hpp"
#include "engine/json_text.hpp"
#include "nodes/nats/transport_nodes.hpp"

namespace flowrun::nats {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string text_of(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

Coordinator::Coordinator(const Graph& expanded, const ClusterTransport& transport, std::shared_ptr<Session> session,
                         std::shared_ptr<Kv> runs, std::shared_ptr<Kv> run_kv, std::string announcement)
    : expanded_(expanded),
      transport_(transport),
      session_(std::move(session)),
      runs_(std::move(runs)),
      run_kv_(std::move(run_kv)),
      announcement_(std::move(announcement)),
      complete_(session_->edges().size(), false),
      ended_written_(session_->edges().size(), false) {
  for (std::size_t i = 0; i < session_->edges().size(); ++i) feeds_.push_back(feeding_edges(static_cast<int>(i)));
}

Coordinator::~Coordinator() { stop(); }

// The edges into `edge`'s group whose records can reach its publisher inside the group.
std::vector<int> Coordinator::feeding_edges(int edge) const {
  const auto& edges = session_->edges();
  const ClusterEdge& e = edges[static_cast<std::size_t>(edge)];
  std::vector<int> out;
  if (e.from_group == "main") return out;
  for (const auto& in : edges) {
    if (in.to_group != e.from_group) continue;
    std::vector<int> stack{expanded_.index_of(in.subscriber)};
    std::set<int> seen(stack.begin(), stack.end());
    bool reaches = false;
    while (!stack.empty() && !reaches) {
      const int v = stack.back();
      stack.pop_back();
      if (expanded_.nodes[v].id == e.publisher) reaches = true;
      for (const auto& port : expanded_.nodes[v].ports())
        for (int c : expanded_.consumers(v, port))
          if (expanded_.nodes[c].group == e.from_group && seen.insert(c).second) stack.push_back(c);
    }
    if (reaches) out.push_back(in.index);
  }
  return out;
}

void Coordinator::start() {
  last_progress_ = last_beat_ = std::chrono::steady_clock::now();
  heartbeat("running");
  thread_ = std::thread([this] { loop(); });
  // Beats on a thread of their own: the state queries of loop() may block for seconds while NATS
  // restarts, and workers must not take that for a dead run.
  beat_thread_ = std::thread([this] {
    while (!stop_) {
      std::this_thread::sleep_for(100ms);
      std::string state;
      {
        std::lock_guard lock(mu_);
        if (std::chrono::steady_clock::now() - last_beat_ < 1s) continue;
        state = state_;
      }
      try {
        heartbeat(state);
      } catch (const NatsError& e) {
        spdlog::debug("cluster heartbeat: {}", e.what());
      }
    }
  });
}

void Coordinator::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (beat_thread_.joinable()) beat_thread_.join();
}

void Coordinator::note_local_progress(std::int64_t total) {
  std::lock_guard lock(mu_);
  if (total != local_progress_) local_progress_ = total, last_progress_ = std::chrono::steady_clock::now();
}

void Coordinator::heartbeat(const std::string& state) {
  std::string value;
  {
    std::lock_guard lock(mu_);
    state_ = state;
    value = announcement_;
    value.pop_back();  // the closing brace
    value += ",\"state\":\"" + state + "\",\"beat\":" + std::to_string(++beat_) + "}";
    last_beat_ = std::chrono::steady_clock::now();
  }
  runs_->put("run." + session_->names().run_id, value);
}

void Coordinator::loop() {
  auto last_keep_alive = std::chrono::steady_clock::now();
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_keep_alive >= session_->options().ack_wait / 4) {
      session_->keep_alive();
      last_keep_alive = now;
    }
    tick();
    cv_.notify_all();
    std::this_thread::sleep_for(100ms);
  }
}

void Coordinator::tick() {
  const auto now = std::chrono::steady_clock::now();
  try {
    update_edges();
    if (nats_failing_since_ != std::chrono::steady_clock::time_point{}) {
      // The server was unreachable: the workers' silence meanwhile was NATS's, not theirs.
      std::lock_guard lock(mu_);
      for (auto& [id, w] : workers_) w.changed = now;
    }
    update_workers();
    nats_failing_since_ = {};
  } catch (const NatsError& e) {
    if (nats_failing_since_ == std::chrono::steady_clock::time_point{}) nats_failing_since_ = now;
    if (now - nats_failing_since_ > session_->options().outage)
      session_->fail("NATS at " + session_->nats().where() + " unreachable for longer than cluster.outage (" +
                     std::to_string(session_->options().outage.count() / 1000) + " s): " + e.what());
  }
  std::lock_guard lock(mu_);
  if (now - last_progress_ > session_->options().stall_timeout && !all_complete())
    session_->fail(fmt::format("no record moved anywhere for {} s (cluster.stall_timeout): is a worker of every group running?",
                               session_->options().stall_timeout.count() / 1000));
}

void Coordinator::update_edges() {
  const auto& edges = session_->edges();
  const auto& names = session_->names();
  std::string signature;
  std::vector<bool> complete;
  {
    std::lock_guard lock(mu_);
    complete = complete_;
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& e : edges) {
      const auto i = static_cast<std::size_t>(e.index);
      if (complete[i]) continue;
      if (!session_->ended(e.index) && e.from_group != "main") {
        bool fed = true;
        for (int f : feeds_[i]) fed = fed && complete[static_cast<std::size_t>(f)];
        if (fed) session_->set_ended(e.index);
      }
      const bool ended = session_->ended(e.index);  // read before the counts: nothing comes after
      if (ended && !ended_written_[i]) {
        run_kv_->put("ended.e" + std::to_string(e.index), "1");
        ended_written_[i] = true;
      }
      const auto st = session_->nats().consumer_state(names.stream, names.consumer(e.index));
      signature += fmt::format("{}:{}:{}:{};", e.index, st.delivered, st.ack_pending, st.pending);
      {
        std::lock_guard lock(mu_);
        auto& most = most_ack_pending_[e.index];
        most = std::max(most, st.ack_pending);
      }
      if (ended && st.pending == 0 && st.ack_pending == 0) {
        complete[i] = true;
        changed = true;
        spdlog::debug("cluster edge {} complete", e.label());
      }
      if (st.pending > 0 && e.to_group != "main") {
        bool served = false;
        {
          std::lock_guard lock(mu_);
          for (const auto& [id, w] : workers_) served = served || (w.group == e.to_group && !w.lost && w.state == "serving");
        }
        auto& since = waiting_since_[e.index];
        if (served) since = {};
        else if (since == std::chrono::steady_clock::time_point{}) since = std::chrono::steady_clock::now();
        else if (std::chrono::steady_clock::now() - since > 30s) {
          const std::string w = fmt::format("{} records of edge {} wait for a worker of group '{}': start `flowrun worker "
                                            "PIPELINE --group {}`", st.pending, e.label(), e.to_group, e.to_group);
          spdlog::warn("{}", w);
          since = std::chrono::steady_clock::now();
        }
      }
    }
  }
  std::lock_guard lock(mu_);
  complete_ = complete;
  if (signature != progress_signature_) progress_signature_ = signature, last_progress_ = std::chrono::steady_clock::now();
}

void Coordinator::update_workers() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_workers_poll_ < 250ms) return;
  if (now - last_workers_poll_ > 1500ms) {
    // The polls stalled (NATS calls blocked while the server restarted): the workers' silence
    // meanwhile was not theirs.
    std::lock_guard lock(mu_);
    for (auto& [id, w] : workers_) w.changed = now;
  }
  last_workers_poll_ = now;
  for (const auto& key : run_kv_->keys()) {
    if (key.rfind("w.", 0) != 0) continue;
    auto v = run_kv_->get_rev(key);
    if (!v) continue;
    std::lock_guard lock(mu_);
    auto& w = workers_[key.substr(2)];
    if (v->second != w.revision) {
      w.revision = v->second;
      w.changed = now;
      if (w.lost) spdlog::info("worker {} is back", key.substr(2));
      w.lost = false;
      boost::system::error_code ec;
      auto j = json::parse(v->first, ec);
      if (!ec && j.is_object()) {
        const auto& o = j.get_object();
        w.group = text_of(o, "group");
        w.state = text_of(o, "state");
        w.failure = text_of(o, "failure");
        if (const auto* s = o.if_contains("summary"); s && s->is_object()) w.summary = s->get_object();
      }
      if (w.state == "failed")
        session_->fail("worker " + key.substr(2) + " (group " + w.group + ") failed: " + w.failure);
    } else if (!w.lost && w.state != "left" && w.state != "failed" && now - w.changed > session_->options().worker_lost_after) {
      w.lost = true;
      const std::string msg = "worker " + key.substr(2) + " (group " + w.group + ") was lost (silent for " +
                              std::to_string(session_->options().worker_lost_after.count() / 1000) +
                              " s): what it held was delivered again to the others; the counts of its unfinished round "
                              "are missing from this summary";
      spdlog::warn("{}", msg);
      warnings_.push_back(msg);
    }
  }
}

bool Coordinator::all_complete() {
  for (bool c : complete_)
    if (!c) return false;
  return true;
}

bool Coordinator::workers_settled() {
  for (const auto& [id, w] : workers_)
    if (!w.lost && w.state != "left" && w.state != "failed") return false;
  return true;
}

std::string Coordinator::finish(RunSummary& s, RunContext& ctx, bool stopped) {
  if (stopped) {
    try {
      heartbeat("failed");
    } catch (const std::exception& e) {
      spdlog::warn("could not tell the workers that run {} stopped: {}", session_->names().run_id, e.what());
    }
    return session_->failure();
  }
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return all_complete() || session_->stopping(); });
  }
  if (auto why = session_->failure(); !why.empty()) {
    try {
      heartbeat("failed");
    } catch (const std::exception&) {}
    return why;
  }
  heartbeat("complete");
  std::vector<RunSummary> parts;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return workers_settled() || !session_->failure().empty(); });
    for (const auto& [id, w] : workers_)
      if (!w.summary.empty()) parts.push_back(summary_from_json(w.summary));
    ctx.add_counter("cluster.workers", static_cast<double>(workers_.size()));
  }
  s = merge_summaries(expanded_, transport_, s, parts);
  for (const auto& w : parts) {
    for (const auto& [k, v] : w.counters) ctx.add_counter(k, v);
    for (const auto& o : w.outputs) ctx.add_output(o);
    const auto have = ctx.warnings();
    for (const auto& warning : w.warnings)
      if (std::find(have.begin(), have.end(), warning) == have.end()) ctx.warn(warning);
  }
  {
    std::lock_guard lock(mu_);
    // Sampled every 100 ms: what MaxAckPending let the consumers of each edge hold at once.
    for (const auto& [edge, most] : most_ack_pending_)
      ctx.add_counter("nats.max_ack_pending " + session_->edge(edge).label(), static_cast<double>(most));
    for (const auto& warning : warnings_) ctx.warn(warning);
  }
  s.counters = ctx.counters();
  s.warnings = ctx.warnings();
  s.outputs = ctx.outputs();
  if (auto why = session_->failure(); !why.empty()) return why;
  // What JetStream holds of each edge must be at least what the publishers were told it stored:
  // fewer means the server lost records (a crash before it synced), and the run must say so.
  const auto& names = session_->names();
  for (const auto& e : session_->edges()) {
    const auto it = s.counters.find(published_counter(e.label()));
    const std::uint64_t published = it == s.counters.end() ? 0 : static_cast<std::uint64_t>(it->second);
    const std::uint64_t stored = session_->with_retry("counting " + e.label(),
                                                      [&] { return session_->nats().subject_count(names.stream, names.subject(e.index)); });
    if (stored < published)
      return fmt::format("NATS lost records of edge {}: {} were published and acknowledged, {} are in the stream", e.label(),
                         published, stored);
  }
  return "";
}

}  // namespace flowrun::nats
