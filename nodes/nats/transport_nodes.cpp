// nats_publish: publishes each record to the edge's subject and returns only once JetStream has
// stored it, so the input it came from may be acknowledged. nats_subscribe: fetches from the
// edge's durable consumer no more than the nodes downstream can start on, gives each record the
// message's hand-off token (acknowledged when the record has reached its end), sends what it
// cannot read to dead letters, and ends when the edge has ended and nothing is left for it.
#include <spdlog/spdlog.h>

#include <thread>
#include <unordered_set>

#include "engine/context.hpp"
#include "engine/utf8.hpp"
#include "nodes/nats/session.hpp"
#include "nodes/nats/transport_nodes.hpp"
#include "nodes/nats/wire.hpp"

namespace flowrun::nats {

namespace {

using namespace std::chrono_literals;

std::shared_ptr<Session> session_of(RunContext& ctx, const ClusterEdge& e) {
  auto s = Session::find(ctx.setting("nats.session"));
  if (!s) throw std::runtime_error("edge " + e.label() + ": no NATS session in this run (made only by `flowrun run`/`worker`)");
  return s;
}

class Publisher final : public ProcessNode {
 public:
  explicit Publisher(ClusterEdge e) : edge_(std::move(e)) {}

  void open(RunContext& ctx) override {
    session_ = session_of(ctx, edge_);
    subject_ = session_->names().subject(edge_.index);
  }

  void process(Record in, RunContext& ctx, Emitter&) override {
    std::string id;
    if (in.env.handoff) {
      id = message_id("e" + std::to_string(edge_.index) + ">" + in.env.handoff->id());
    } else {
      id = session_->next_message_id(edge_.index);
      if (!session_->is_main() && !warned_.exchange(true))
        ctx.warn("edge " + edge_.label() + ": a record emitted outside any input (a node's close()) crossed from a worker; "
                 "such records are not covered by run completion (docs/cluster.md)");
    }
    const std::string body = encode(in, session_->names().run_id);
    auto pub = session_->with_retry("publishing to " + edge_.label(),
                                    [&] { return session_->nats().publish(subject_, body, id, 5s); });
    ctx.add_counter(pub.duplicate ? "nats.duplicates " + edge_.label() : published_counter(edge_.label()), 1);
  }

  void close(RunContext&, Emitter&) override {
    if (session_ && session_->is_main() && session_->on_publisher_done) session_->on_publisher_done(edge_.index);
  }

 private:
  ClusterEdge edge_;
  std::shared_ptr<Session> session_;
  std::string subject_;
  std::atomic<bool> warned_{false};
};

class Subscriber final : public SourceNode {
 public:
  explicit Subscriber(ClusterEdge e) : edge_(std::move(e)) {}

  void open(RunContext& ctx) override {
    session_ = session_of(ctx, edge_);
    in_ = session_->with_retry("subscribing to " + edge_.label(), [&] { return session_->input(edge_.index); });
  }

  void run(RunContext& ctx, Emitter& out) override {
    std::vector<natsMsg*> batch;
    auto failing_since = std::chrono::steady_clock::time_point{};
    for (;;) {
      if (auto why = session_->failure(); !why.empty()) throw FatalError(why);
      if (session_->stopping() || ctx.stopping()) return;
      const std::int64_t room = out.room();
      if (room == 0) {
        std::this_thread::sleep_for(2ms);
        continue;
      }
      batch.clear();
      const natsStatus s = in_->fetch(room < 0 ? 64 : static_cast<int>(std::min<std::int64_t>(room, 64)), 200ms, batch);
      if (s == NATS_OK) {
        failing_since = {};
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (session_->stopping() || ctx.stopping()) {
            for (std::size_t k = i; k < batch.size(); ++k) in_->nak(batch[k]);  // another worker takes them now
            return;
          }
          if (deliver(batch[i], ctx, out) == Next::end_round) {
            for (std::size_t k = i + 1; k < batch.size(); ++k) in_->put_back(batch[k]);  // first in the next round
            return;
          }
        }
        continue;
      }
      if (s != NATS_TIMEOUT) {
        if (!transient(s)) check(s, "fetching from " + edge_.label());
        const auto now = std::chrono::steady_clock::now();
        if (failing_since == std::chrono::steady_clock::time_point{}) failing_since = now;
        if (now - failing_since > session_->options().outage)
          throw_outage(*session_, "fetching from " + edge_.label(), natsStatus_GetText(s));
        std::this_thread::sleep_for(100ms);
        continue;
      }
      if (finished()) return;
      // A worker whose held records stopped moving (a batching sink waits for a batch that
      // MaxAckPending will not let fill) ends its round: the sink commits in close(), the inputs
      // are acknowledged, and the worker starts the next round when records wait again.
      const std::size_t held = in_->held();
      idle_rounds_ = held > 0 && held == last_held_ ? idle_rounds_ + 1 : 0;
      last_held_ = held;
      if (!session_->is_main() && idle_rounds_ >= 3) return;
    }
  }

 private:
  enum class Next { more, end_round };

  Next deliver(natsMsg* m, RunContext& ctx, Emitter& out) {
    const Delivery delivery = delivery_of(m);
    const std::uint64_t delivered = delivery.delivered;
    const char* id = nullptr;
    natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
    const std::string root = id ? id : "seq" + std::to_string(delivery.stream_seq);
    const std::string_view payload(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m)));
    Record r;
    std::string problem;
    try {
      r = decode(payload, session_->names().run_id);
    } catch (const std::exception& e) {
      problem = e.what();
      r = Record(json::object{{"payload", to_valid_utf8(payload.substr(0, 2000))}});
    }
    const auto max = static_cast<std::uint64_t>(session_->options().max_deliver);
    auto poison = [&](std::uint64_t times) {
      return "delivered " + std::to_string(times) + " times without being acknowledged (cluster.max_deliver " +
             std::to_string(max) + "): a worker crashed or stalled on it each time";
    };
    Next next = Next::more;
    if (session_->is_main()) {
      // Main is the only consumer of its input edges: a message it has already taken that comes
      // back (an ack lost while NATS restarted) is a duplicate of a record on its way here.
      if (!seen_.insert(root).second) {
        ctx.add_counter("nats.duplicates dropped " + edge_.label(), 1);
        in_->take(m, root);  // the token dies at once: acknowledged
        return next;
      }
      if (problem.empty() && delivered > max) problem = poison(delivered - 1);
      r.env.handoff = in_->take(m, root);  // from here on the token owns the message
    } else if (delivered == 1) {
      auto admitted = session_->admission();
      if (session_->isolated()) {  // a redelivered record has this process until the round ends
        in_->put_back(m);
        return Next::end_round;
      }
      r.env.handoff = in_->take(m, root);
    } else {
      // Redelivered: a worker holding it died or stalled. It may be the cause or may only have been
      // held beside it, so it starts alone, once everything else here has finished, and only the
      // starts it had alone count towards max_deliver (the first, with company, counts as one).
      if (!session_->isolate(edge_.index) || session_->in_flight() > 0) {
        in_->put_back(m);
        return Next::end_round;
      }
      const int alone = session_->started_alone(edge_.index, root);
      if (problem.empty() && static_cast<std::uint64_t>(1 + alone) >= max)
        problem = poison(static_cast<std::uint64_t>(1 + alone));
      else if (problem.empty())
        session_->set_started_alone(edge_.index, root, alone + 1);
      r.env.handoff = in_->take(m, root);
      next = Next::end_round;  // nothing else starts beside it
    }
    if (delivered > 1) ctx.add_counter("nats.redelivered " + edge_.label(), 1);
    if (problem.empty()) {
      out.emit(std::move(r));
      return next;
    }
    r.meta["error"] = json::object{{"message", "edge " + edge_.label() + ": " + problem}, {"rule", "deliverable"}};
    ctx.add_counter("nats.poison " + edge_.label(), 1);
    out.emit("errors", std::move(r));
    if (!session_->is_main() && delivered > 1) session_->end_isolation();  // nothing was started alone
    return Next::more;
  }

  // The edge has ended, nothing is waiting for this process and nothing is held here; in main (the
  // edge's only consumer) also nothing is left unacknowledged anywhere.
  // What this process still holds is downstream and reaches its end when the graph drains (a
  // batching sink commits in close()). Main is the only consumer of its input edges, so there
  // nothing may be unacknowledged elsewhere: a record a lost worker held would come back to it.
  bool finished() {
    bool ended = false;
    try {
      ended = session_->ended(edge_.index);
    } catch (const NatsError&) {
      return false;  // asked again after the next fetch; outages are caught there
    }
    if (!ended || in_->has_prefetched()) return false;
    const auto& names = session_->names();
    auto st = session_->with_retry("reading " + edge_.label(),
                                   [&] { return session_->nats().consumer_state(names.stream, names.consumer(edge_.index)); });
    return st.pending == 0 &&
           (!session_->is_main() || st.ack_pending <= static_cast<std::int64_t>(in_->held()));
  }

  ClusterEdge edge_;
  std::shared_ptr<Session> session_;
  std::shared_ptr<InputEdge> in_;
  std::unordered_set<std::string> seen_;  // main only: message ids taken in this run
  std::size_t last_held_ = 0;
  int idle_rounds_ = 0;
};

}  // namespace

std::string published_counter(const std::string& edge_label) { return "nats.published " + edge_label; }

NodeDescriptor publisher_descriptor() {
  NodeDescriptor d;
  d.type = "nats_publish";
  d.role = Role::sink;
  d.description = "Carries a cluster edge's records to the NATS JetStream subject of the run (made by the engine).";
  d.blocking_io = true;
  d.default_concurrency = 16;  // publishes waiting for JetStream's acknowledgement at once
  d.create = [](const BoundOptions& b, const NodeInfo&) -> std::unique_ptr<Node> {
    return std::make_unique<Publisher>(b.as<ClusterEdge>());
  };
  return d;
}

NodeDescriptor subscriber_descriptor() {
  NodeDescriptor d;
  d.type = "nats_subscribe";
  d.role = Role::source;
  d.description = "Takes a cluster edge's records from the run's durable JetStream consumer (made by the engine).";
  d.create = [](const BoundOptions& b, const NodeInfo&) -> std::unique_ptr<Node> {
    return std::make_unique<Subscriber>(b.as<ClusterEdge>());
  };
  return d;
}

}  // namespace flowrun::nats
