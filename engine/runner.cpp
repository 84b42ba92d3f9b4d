// Builds the oneTBB flow graph from our Graph and runs it.
//
// Shape per pipeline node (see docs/architecture.md):
//   CPU transform/sink : multifunction_node<Msg, Ports> with the node's concurrency (queueing);
//                        its output ports are the pipeline ports.
//   I/O transform/sink : async_node<Msg, Msg> whose body hands the record to the node's IoPool
//                        (size = concurrency), then a port splitter multifunction_node.
//   source             : a thread of its own running SourceNode::run(); it queues what it emits
//                        in a mailbox that a serial multifunction_node inside the graph drains
//                        into its output ports (graph.reserve_wait() held while it runs).
// Backpressure: every node counts the records inside it (`queued`); before a source emits, it
// waits until every node downstream of it is below its `buffer`, counting what is inside the
// nodes between the source and it too. Only sources ever wait, on their own threads, so no
// oneTBB worker blocks and bounded memory cannot deadlock.
// Completion: the main thread marks a node done when all its data predecessors are done and
// nothing is inside it, calls close(), and wakes nodes that wait on it through `after:`.
#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <ctime>
#include <iomanip>
#include <limits>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include "engine/cluster.hpp"
#include "engine/context.hpp"
#include "engine/handoff.hpp"
#include "engine/io_pool.hpp"
#include "engine/pipeline.hpp"
#include "engine/record_trace.hpp"
#include "engine/redact.hpp"

namespace flowrun {

namespace {

namespace flow = tbb::flow;

// A record between nodes, with the number of consumers that have yet to take it: the last one
// takes the record by move, earlier ones (fan-out) copy it. Messages carry a plain pointer, so
// oneTBB's own copies of a message cost nothing and no control block is allocated per emit.
struct Box {
  std::atomic<int> owners{0};
  Record rec;
};
struct Msg {
  Box* box = nullptr;
  std::uint8_t port = 0;
};

// One consumer's share of a message: the record, and the box when this consumer was its last
// taker (its record moved out, ready to carry the next emit).
struct Taken {
  Record rec;
  Box* spare = nullptr;
};
Taken take(const Msg& m) {
  Box* b = m.box;
  if (b->owners.load(std::memory_order_acquire) == 1) return {std::move(b->rec), b};
  Taken t{b->rec, nullptr};
  if (b->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) t.spare = b;  // the others took theirs meanwhile
  return t;
}
// kMaxOutputPorts oneTBB ports per node (out, errors, declared and instance ports such as a
// route's names). An unused port is an empty successor list: it costs memory, not time per record.
template <std::size_t... I>
auto msg_tuple(std::index_sequence<I...>) -> std::tuple<decltype((void)I, Msg())...>;
using Ports = decltype(msg_tuple(std::make_index_sequence<kMaxOutputPorts>()));
using MultiNode = flow::multifunction_node<Msg, Ports>;
using AsyncNode = flow::async_node<Msg, Msg>;
using OutPorts = MultiNode::output_ports_type;

std::atomic<int> g_signals{0};
extern "C" void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) std::_Exit(130);  // second Ctrl-C: leave now
}

std::string iso_now() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream os;
  os << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return os.str();
}

std::string make_run_id() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream os;
  os << std::put_time(&tm, "%Y%m%dT%H%M%SZ") << "-" << std::hex << (std::random_device{}() & 0xffff);
  return os.str();
}

void bump_max(std::atomic<std::int64_t>& hwm, std::int64_t v) {
  auto cur = hwm.load(std::memory_order_relaxed);
  while (v > cur && !hwm.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {}
}

struct Runtime;

struct NodeRt {
  int index = 0;
  const GraphNode* spec = nullptr;
  std::unique_ptr<Node> impl;
  SourceNode* source = nullptr;
  ProcessNode* process = nullptr;
  bool io = false;
  NodeMetrics m;
  std::vector<std::string> port_names;
  std::vector<std::vector<int>> consumers;  // by port index
  std::unique_ptr<StripedCounter[]> port_counts;
  std::vector<int> downstream;  // every node reachable by data edges (for admission)
  // Sources, by downstream node: it and the nodes between the source and it, whose records may
  // still reach it. Transforms never wait, so a node's edge stays within its buffer only if what
  // is upstream of it counts too (a fast node would otherwise pour its queue into a slow one).
  std::vector<std::vector<int>> reaching;
  std::int64_t admit_credit = 0;  // sources: emits left before admission looks at the queues again
  bool shares_edge = false;       // sources: another producer feeds a node downstream (no credit)
  std::vector<int> data_preds, control_preds, data_succs, control_succs;

  std::unique_ptr<MultiNode> ports_node;  // owns the output ports
  // Sources: records emitted on the source's own thread wait here for the drain body, which runs
  // inside the graph's arena. A put from outside the arena wakes a worker through the kernel per
  // record; one drain body takes every record queued meanwhile, and its puts spawn local tasks.
  tbb::concurrent_queue<Msg> mailbox;
  std::atomic<bool> drain_queued{false};  // a drain body is queued or running and will look again
  std::unique_ptr<AsyncNode> async;       // I/O nodes: the body
  std::unique_ptr<IoPool> pool;
  std::shared_ptr<AdaptiveLimit> adaptive;  // concurrency: adaptive (own or shared); else null
  flow::receiver<Msg>* input = nullptr;

  // `after:` gate for non-source nodes: records that arrive early wait here (they are still
  // counted in `queued`, so backpressure holds them bounded).
  // Read without the mutex on every body; it only ever goes from closed to open.
  std::mutex gate_mu;
  std::atomic<bool> gate_open{true};
  std::vector<Msg> stash;

  std::atomic<bool> finished{false};  // sources: run() returned
  // Set by the main thread once every data predecessor is done: from then on the body that
  // empties the node wakes it (earlier, an empty node is common and nobody needs to hear of it).
  std::atomic<bool> watched{false};
  std::atomic<bool> broken{false};    // its output failed: later records are dead-lettered unprocessed
  bool open_failed = false;           // open() threw: no after_run for this one
  std::string broken_reason;          // under reason_mu
  bool done = false;                  // main thread only
  std::string stopped_reason;
  std::mutex reason_mu;
  // Hand-off tokens of the cluster inputs whose records the node holds (engine/handoff.hpp), in
  // the order it took them: written(n) lets the first n go (acknowledged), close() fails the rest.
  std::mutex tokens_mu;
  std::deque<std::shared_ptr<Handoff>> held_tokens;

  int port_index(std::string_view p) const {
    for (std::size_t i = 0; i < port_names.size(); ++i)
      if (port_names[i] == p) return static_cast<int>(i);
    return -1;
  }
};

// Delivers one message on output port `port` of a multifunction node's ports.
template <class PortsT, std::size_t... I>
void put_port_at(PortsT& ports, int port, const Msg& msg, std::index_sequence<I...>) {
  (void)((I == static_cast<std::size_t>(port) && (std::get<I>(ports).try_put(msg), true)) || ...);
}
template <class PortsT>
void put_port(PortsT& ports, int port, const Msg& msg) {
  put_port_at(ports, port, msg, std::make_index_sequence<kMaxOutputPorts>());
}

template <std::size_t... I>
void edge_from_port(MultiNode& from, int port, flow::receiver<Msg>& to, std::index_sequence<I...>) {
  (void)((I == static_cast<std::size_t>(port) && (flow::make_edge(flow::output_port<I>(from), to), true)) || ...);
}

struct Runtime {
  const Graph& graph;
  RunContext& ctx;
  // The graph's own arena, with a worker for every core. By default oneTBB keeps one slot of
  // an arena for the thread that waits on it, but ours spends the run in drive() and joins only
  // at the end, while sources run on threads of their own that mostly wait on the network: the
  // default left one core of two idle for the nodes (docs/benchmarks/engine.md).
  tbb::global_control workers{tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(tbb::info::default_concurrency()) + 1};
  tbb::task_arena arena{tbb::info::default_concurrency(), 0};
  std::unique_ptr<flow::graph> graph_in_arena = [this] {
    std::unique_ptr<flow::graph> made;
    arena.execute([&] { made = std::make_unique<flow::graph>(); });  // a graph runs in the arena it is made in
    return made;
  }();
  flow::graph& g = *graph_in_arena;
  std::vector<std::unique_ptr<NodeRt>> nodes;
  std::atomic<std::int64_t> seq{0};
  RecordTrace* trace = nullptr;  // --trace-file: per-record events; null (the usual case): none

  std::mutex mon_mu;
  std::condition_variable mon_cv;   // wakes the main thread
  std::condition_variable done_cv;  // wakes sources waiting on `after:`
  bool dirty = false;
  std::atomic<bool> fatal{false};
  std::string fatal_reason;
  std::atomic<int> admit_waiting{0};  // sources asleep in admit()
  std::mutex admit_mu;
  std::condition_variable admit_cv;

  Runtime(const Graph& gr, RunContext& c) : graph(gr), ctx(c) {}

  void notify() {
    {
      std::lock_guard lock(mon_mu);
      dirty = true;
    }
    mon_cv.notify_one();
  }

  // ---- emitting -----------------------------------------------------------------------------

  // Accounts for one record leaving `from` on `port`, before it is put into the graph, so that
  // every consumer's `queued` is raised before the producer can be seen as finished.
  void account_emit(NodeRt& from, int port) {
    from.port_counts[port].add(1);
    if (port == 1) {
      // counted per input in the body; sources count their own error rows here
      if (from.source) from.m.errors.add(1);
    } else {
      from.m.emitted.add(1);
      if (from.source) from.m.out.add(1);
    }
    for (int c : from.consumers[port]) {  // what each consumer received: from port_counts
      auto& to = *nodes[c];
      bump_max(to.m.max_queued, to.m.queued.fetch_add(1, std::memory_order_relaxed) + 1);
    }
  }

  // Tags records leaving on a non-default port with where they left, so dead letters can say.
  void tag_port(NodeRt& from, int port, Record& r) {
    if (port == 0) return;
    auto it = r.meta.find("error");
    if (it == r.meta.end() || !it->value().is_object()) {
      // no message: the record's own data says why (e.g. the validator's `validation.errors`)
      r.meta["error"] = json::object{{"node", from.spec->id}, {"port", from.port_names[port]}};
    } else {
      auto& e = it->value().as_object();
      if (!e.contains("node")) e["node"] = from.spec->id;
      if (!e.contains("port")) e["port"] = from.port_names[port];
      // A node's own reason may quote a URL or path that holds a key: dead letters never show it.
      if (!graph.secrets.empty())
        for (auto& kv : e)
          if (kv.value().is_string()) kv.value() = redact(std::string(kv.value().as_string()));
    }
    if (!graph.secrets.empty()) r.env.source_id = redact(std::move(r.env.source_id));
    if (spdlog::should_log(spdlog::level::debug)) {
      const auto& e = r.meta["error"].as_object();
      const auto* m = e.if_contains("message");
      spdlog::debug("[{}] node {}: record to {}{}", r.env.trace_id, from.spec->id, from.port_names[port],
                    m && m->is_string() ? ": " + std::string(m->as_string()) : std::string());
    }
  }

  void stamp(Record& r, const NodeRt& src) {
    if (r.env.source.empty()) r.env.source = src.spec->id;
    if (r.env.trace_id.empty()) {
      const fmt::format_int number(seq.fetch_add(1, std::memory_order_relaxed) + 1);
      auto& id = r.env.trace_id;
      id.reserve(ctx.run_id().size() + 1 + number.size());
      id.append(ctx.run_id()).append(1, '-').append(number.data(), number.size());
    }
  }

  // Sources wait here while any node downstream is at its buffer: the bounded edges. Reading
  // every downstream queue (cache lines the workers write) costs more than an emit, so a look
  // that finds room h at the fullest node admits h/2 emits: even where paths rejoin and one
  // source record reaches a node twice, no node passes its buffer on their account.
  void admit(NodeRt& src) {
    if (src.admit_credit > 0) {
      --src.admit_credit;
      return;
    }
    for (int waits = 0;; ) {
      const std::int64_t room = downstream_room(src);
      if (room > 0 || fatal.load()) {
        // Credit (emits before the next look) only where this source alone fills the edge: two
        // sources each taking half of the same room overshoot the buffer.
        src.admit_credit = room > 0 && !src.shares_edge && !src.downstream.empty() ? std::max<std::int64_t>(room / 2, 1) - 1 : 0;
        return;
      }
      // Full: sleep until a downstream node drains to half its buffer (leave() wakes us). Spinning
      // here took a core from the very workers the source waits for. The timeout covers rooms
      // that open without such a drain (records moving on between nodes, a gate's stash); it
      // doubles up to 16 ms while nothing opens, so a long stall downstream costs no CPU.
      admit_waiting.fetch_add(1);
      {
        std::unique_lock lock(admit_mu);
        if (downstream_room(src) <= 0 && !fatal.load()) admit_cv.wait_for(lock, std::chrono::milliseconds(1 << waits));
      }
      admit_waiting.fetch_sub(1);
      waits = std::min(waits + 1, 4);
    }
  }
  // The least room at any node downstream: its buffer less what is in it and in the nodes
  // between the source and it.
  std::int64_t downstream_room(const NodeRt& src) const {
    std::int64_t room = std::numeric_limits<std::int64_t>::max();
    for (std::size_t k = 0; k < src.downstream.size(); ++k) {
      std::int64_t inside = 0;
      for (int u : src.reaching[k]) inside += nodes[u]->m.queued.load(std::memory_order_relaxed);
      room = std::min(room, nodes[src.downstream[k]]->spec->buffer - inside);
    }
    return room;
  }

  // ---- the wrapped body ----------------------------------------------------------------------

  // Emitter used while a body (or close()) runs; `deliver` puts a message into the graph.
  struct BodyEmitter : Emitter {
    Runtime& rt;
    NodeRt& node;
    std::function<void(int, const Msg&)> deliver;
    int data_out = 0, error_out = 0;
    bool filtered_flag = false, held_flag = false;
    std::uint32_t ports_used = 0;  // for the trace file: which ports this body sent on
    int last_attempt = -1;         // and the attempt count of what it sent
    std::shared_ptr<Handoff> input_token;  // the cluster input's hand-off token, if any
    int derived = 0;
    Box* spare = nullptr;  // the input's box, reused by the first emit
    BodyEmitter(Runtime& r, NodeRt& n, std::function<void(int, const Msg&)> d)
        : rt(r), node(n), deliver(std::move(d)) {}
    ~BodyEmitter() override { delete spare; }
    BodyEmitter(const BodyEmitter&) = delete;
    BodyEmitter& operator=(const BodyEmitter&) = delete;
    using Emitter::emit;
    // What a node emits while processing a cluster input keeps that input unacknowledged until
    // it has reached its end (engine/handoff.hpp).
    void inherit_handoff(Record& r) {
      if (input_token) r.env.handoff = Handoff::derive(input_token, derived++);
    }
    void emit(std::string_view port, Record r) override {
      const int p = put(port, std::move(r));
      (p == 1 ? error_out : data_out)++;
    }
    void filtered() override { filtered_flag = true; }
    void hold() override {
      if (held_flag) return;
      held_flag = true, node.m.held.fetch_add(1, std::memory_order_relaxed);
      if (input_token) {
        std::lock_guard lock(node.tokens_mu);
        node.held_tokens.push_back(input_token);
      }
    }
    void release(std::string_view port, Record r) override {
      if (rt.trace) rt.trace->event(r.env.trace_id, node.spec->id, port, "released", 0, 0, r.env.attempt);
      node.m.held.fetch_sub(1, std::memory_order_relaxed);
      auto token = rt.let_go(node, 1);
      if (!r.env.handoff && token) r.env.handoff = std::move(token);
      const int p = put(port, std::move(r), false);
      rt.settle_one(node, p == 1 ? Outcome::error : Outcome::out);
    }
    void written(std::int64_t n) override {
      node.m.held.fetch_sub(n, std::memory_order_relaxed);
      node.m.out.add(n);
      rt.let_go(node, n);
    }
    void broken(const std::string& reason) override { rt.mark_broken(node, reason); }
    bool consumed(std::string_view port) const override {
      const int p = node.port_index(port);
      return p >= 0 && !node.consumers[p].empty();
    }

    // Puts an accounted record into the graph, unless nobody listens on that port.
    void carry(int p, Record r) {
      const auto& to = node.consumers[p];
      if (to.empty()) return;
      Box* b = spare ? std::exchange(spare, nullptr) : new Box;
      b->rec = std::move(r);
      b->owners.store(static_cast<int>(to.size()), std::memory_order_relaxed);
      deliver(p, Msg{b, static_cast<std::uint8_t>(p)});
    }

   private:
    int put(std::string_view port, Record r, bool derive = true) {
      const int p = port == "out" ? 0 : node.port_index(port);
      if (p < 0) throw std::logic_error("node '" + node.spec->id + "' emitted on undeclared port '" + std::string(port) + "'");
      if (node.source) {
        rt.stamp(r, node);
        rt.admit(node);
        if (rt.trace) rt.trace->event(r.env.trace_id, node.spec->id, node.port_names[p], "emitted", 0, 0, r.env.attempt);
      }
      ports_used |= 1u << p;
      last_attempt = r.env.attempt;
      if (derive) inherit_handoff(r);
      rt.tag_port(node, p, r);
      rt.account_emit(node, p);
      carry(p, std::move(r));
      return p;
    }
    // Free slots of the busiest node downstream of a source (twice its concurrency, so each slot
    // has its next record waiting), for sources that pull from a shared queue.
    std::int64_t room() const override {
      if (!node.source || node.downstream.empty()) return -1;
      std::int64_t free = std::numeric_limits<std::int64_t>::max();
      for (int d : node.downstream) {
        const auto& x = *rt.nodes[d];
        const std::int64_t slots = x.spec->concurrency > 0 ? 2 * x.spec->concurrency : x.spec->buffer;
        free = std::min(free, slots - x.m.queued.load(std::memory_order_relaxed));
      }
      return std::max<std::int64_t>(free, 0);
    }
  };

  enum class Outcome { out, error, filtered };

  // Drops the first n held hand-off tokens (their inputs may now be acknowledged); returns the last.
  std::shared_ptr<Handoff> let_go(NodeRt& n, std::int64_t count) {
    std::lock_guard lock(n.tokens_mu);
    std::shared_ptr<Handoff> last;
    for (; count > 0 && !n.held_tokens.empty(); --count) {
      last = std::move(n.held_tokens.front());
      n.held_tokens.pop_front();
    }
    return last;
  }

  // Counts one accepted record's end. A record sent to `errors` where nobody listens (a dead-letter
  // node's own failures) is lost, not dead-lettered: it counts as unwritten.
  void settle_one(NodeRt& n, Outcome o) {
    switch (o) {
      case Outcome::out: n.m.out.add(1); break;
      case Outcome::filtered: n.m.filtered.add(1); break;
      case Outcome::error:
        if (n.consumers[1].empty()) n.m.unwritten.fetch_add(1, std::memory_order_relaxed);
        else n.m.errors.add(1);
        break;
    }
  }

  void mark_broken(NodeRt& n, const std::string& reason) {
    if (n.broken.exchange(true)) return;
    {
      std::lock_guard lock(n.reason_mu);
      n.broken_reason = redact(reason);
    }
    // The sources go on: other outputs (the store) may still take the day's data, and the
    // summary will say this run failed.
    spdlog::error("node '{}' cannot write: {}", n.spec->id, redact(reason));
  }

  Record error_record(const NodeRt& n, Record r, const std::string& message, const std::string& field = "",
                      const std::string& rule = "") {
    json::object e{{"node", n.spec->id}, {"port", "errors"}, {"message", redact(message)}};
    if (!field.empty()) e["field"] = field;
    if (!rule.empty()) e["rule"] = rule;
    r.meta["error"] = std::move(e);
    return r;
  }

  std::string redact(std::string s) const { return redact_secrets(std::move(s), graph.secrets); }

  // A record has left node `n` (settled, held or sent on).
  void leave(NodeRt& n) {
    const std::int64_t left = n.m.queued.fetch_sub(1) - 1;
    if (left == 0 && n.watched.load()) notify();
    // A source sleeps in admit() while a node downstream is full; it wakes when one drains to
    // half its buffer (once per drain, not per record).
    if (left == n.spec->buffer / 2 && admit_waiting.load() > 0) {
      std::lock_guard lock(admit_mu);
      admit_cv.notify_all();
    }
  }

  // Held until the `after:` nodes finish. Not counted as queued: those nodes may be fed by the
  // same sources, which would otherwise block on this edge forever (a deadlock). The price is
  // memory: a gated node holds what reaches it before its gate opens.
  bool stash_until_gate(NodeRt& n, const Msg& msg) {
    std::lock_guard lock(n.gate_mu);
    if (n.gate_open.load(std::memory_order_relaxed)) return false;
    n.stash.push_back(msg);
    n.m.queued.fetch_sub(1);
    notify();
    return true;
  }

  void run_body(NodeRt& n, const Msg& msg, const std::function<void(int, const Msg&)>& deliver) {
    if (!n.gate_open.load(std::memory_order_acquire) && stash_until_gate(n, msg)) return;
    // A clock read costs about as much as a small CPU body on a VM, so CPU nodes time one body in
    // eight (the summary scales busy time by in / timed); I/O bodies are slow, each is timed.
    // (`in` is striped per thread: its stripe's count samples this thread's bodies of this node.)
    const bool timed = (n.m.in.add(1) & 7) == 0 || n.io;
    BodyEmitter em(*this, n, deliver);
    Taken taken = take(msg);
    Record& in = taken.rec;  // what reaches dead letters if the body throws
    em.spare = taken.spare;
    em.input_token = in.env.handoff;  // a copy: the body may move the record away
    if (n.broken.load(std::memory_order_relaxed)) {
      // Its output failed earlier: no retry, no waiting; the record goes to dead letters.
      std::string why;
      {
        std::lock_guard lock(n.reason_mu);
        why = n.broken_reason;
      }
      if (trace) trace->event(in.env.trace_id, n.spec->id, "errors", "errors", 0, 0, in.env.attempt);
      deliver_error(n, em, error_record(n, std::move(in), "not written: node '" + n.spec->id + "' failed earlier: " + why));
      settle_one(n, Outcome::error);
      leave(n);
      return;
    }
    bump_max(n.m.max_in_flight, n.m.in_flight.fetch_add(1) + 1);
    std::string trace_id;
    if (trace) trace_id = in.env.trace_id;  // the body may move the record away
    const auto t0 = timed || trace ? now_us() : 0;
    bool threw = false;
    try {
      n.process->process_in_place(in, ctx, em);
    } catch (const FatalError& e) {
      // The node itself says the run cannot go on (e.g. its database is gone): stop, whatever
      // `fatal:` says. The record still reaches dead letters with the reason.
      threw = true;
      trip_fatal(n, e.what());
      deliver_error(n, em, error_record(n, std::move(in), e.what()));
    } catch (const WriteError& e) {
      threw = true;
      mark_broken(n, e.what());
      deliver_error(n, em, error_record(n, std::move(in), e.what()));
    } catch (const RecordError& e) {
      threw = true;
      if (n.spec->fatal) trip_fatal(n, e.what());
      deliver_error(n, em, error_record(n, std::move(in), e.what(), e.field, e.rule));
    } catch (const std::exception& e) {
      threw = true;
      if (n.spec->fatal) trip_fatal(n, e.what());
      deliver_error(n, em, error_record(n, std::move(in), e.what()));
    } catch (...) {
      threw = true;
      if (n.spec->fatal) trip_fatal(n, "unknown exception");
      deliver_error(n, em, error_record(n, std::move(in), "unknown exception"));
    }
    const auto dt = timed || trace ? now_us() - t0 : 0;
    if (timed) {
      n.m.busy_us.add(dt);
      n.m.latency.record(dt);
    }
    if (trace) trace_body(n, em, trace_id, threw, t0, dt, em.last_attempt >= 0 ? em.last_attempt : in.env.attempt);
    if (threw && em.held_flag) n.m.held.fetch_sub(1, std::memory_order_relaxed);  // it went to errors instead
    if (threw || (em.error_out > 0 && em.data_out == 0 && !em.held_flag)) settle_one(n, Outcome::error);
    else if (em.held_flag) {}  // the node settles it later (release / written), or it ends unwritten
    else if (em.data_out > 0 || n.spec->role() == Role::sink) settle_one(n, Outcome::out);
    else settle_one(n, Outcome::filtered);
    n.m.in_flight.fetch_sub(1);
    leave(n);
  }

  // The trace file's line for one body: how the record left (as settled below) and on which ports.
  void trace_body(const NodeRt& n, const BodyEmitter& em, const std::string& id, bool threw, std::int64_t t0,
                  std::int64_t dt, int attempt) {
    std::string ports;
    for (std::size_t p = 0; p < n.port_names.size(); ++p)
      if (em.ports_used & (1u << p)) ports += (ports.empty() ? "" : ",") + n.port_names[p];
    const char* outcome = threw || (em.error_out > 0 && em.data_out == 0 && !em.held_flag) ? "errors"
                          : em.held_flag                                                     ? "held"
                          : em.data_out > 0 || n.spec->role() == Role::sink                  ? "out"
                                                                                              : "filtered";
    trace->event(id, n.spec->id, ports, outcome, t0, dt, attempt);
  }

  void deliver_error(NodeRt& n, BodyEmitter& em, Record r) {
    em.inherit_handoff(r);
    em.ports_used |= 1u << 1;  // port 1: errors
    em.last_attempt = r.env.attempt;
    em.error_out++;
    account_emit(n, 1);
    const auto& err = r.meta["error"].as_object();
    spdlog::debug("[{}] node {}: record failed: {}", r.env.trace_id, n.spec->id, err.at("message").as_string().c_str());
    em.carry(1, std::move(r));
  }

  void trip_fatal(NodeRt& n, const std::string& why) {
    // Most nodes' messages already name them ("maricopa_api 'county': ..."): say it once.
    const bool named = why.find("'" + n.spec->id + "'") != std::string::npos;
    trip_fatal_reason(named ? redact(why) : "node '" + n.spec->id + "' failed: " + redact(why));
  }
  void trip_fatal_reason(const std::string& why) {
    std::lock_guard lock(mon_mu);
    if (!fatal.exchange(true)) fatal_reason = why;
    ctx.request_stop();
  }

  // ---- building -----------------------------------------------------------------------------

  void build(const Registry& registry) {
    const int count = static_cast<int>(graph.nodes.size());
    Diagnostics diags;
    for (int i = 0; i < count; ++i) {
      auto n = std::make_unique<NodeRt>();
      n->index = i;
      n->spec = &graph.nodes[i];
      n->port_names = n->spec->ports();
      if (n->port_names.size() > static_cast<std::size_t>(kMaxOutputPorts))  // `check` rejects it first
        throw std::logic_error("node '" + n->spec->id + "' has " + std::to_string(n->port_names.size()) +
                               " output ports; at most " + std::to_string(kMaxOutputPorts) + " are supported");
      n->consumers.resize(n->port_names.size());
      n->port_counts = std::make_unique<StripedCounter[]>(n->port_names.size());
      const NodeDescriptor* d = n->spec->desc ? n->spec->desc : registry.find(n->spec->type);
      try {
        n->impl = d->create ? d->create(n->spec->options, n->spec->info) : d->factory(n->spec->config);
      } catch (const std::exception& e) {
        diags.error(n->spec->where, "node '" + n->spec->id + "': " + redact(e.what()));
        nodes.push_back(std::move(n));
        continue;
      }
      n->source = dynamic_cast<SourceNode*>(n->impl.get());
      n->process = dynamic_cast<ProcessNode*>(n->impl.get());
      if (d->role == Role::source && !n->source)
        diags.error(n->spec->where, "node type '" + d->type + "' is a source but its factory made no SourceNode");
      if (d->role != Role::source && !n->process)
        diags.error(n->spec->where, "node type '" + d->type + "' made no ProcessNode");
      n->io = d->blocking_io;
      n->adaptive = adaptive_limit_for(*n->spec, ctx.resources());
      n->m.adaptive = n->adaptive.get();
      nodes.push_back(std::move(n));
    }
    if (diags.has_errors()) throw PipelineError(diags);

    for (int i = 0; i < count; ++i) {
      auto& n = *nodes[i];
      n.data_preds = graph.data_predecessors(i);
      n.control_preds = graph.control_predecessors(i);
      for (int p : n.data_preds) nodes[p]->data_succs.push_back(i);
      for (int p : n.control_preds) nodes[p]->control_succs.push_back(i);
      for (std::size_t p = 0; p < n.port_names.size(); ++p) n.consumers[p] = graph.consumers(i, n.port_names[p]);
      n.gate_open.store(n.source || n.control_preds.empty());
    }
    for (int i = 0; i < count; ++i) {  // transitive data successors
      std::vector<bool> seen(count, false);
      std::vector<int> stack{i};
      while (!stack.empty()) {
        int v = stack.back();
        stack.pop_back();
        for (std::size_t p = 0; p < nodes[v]->consumers.size(); ++p)
          for (int c : nodes[v]->consumers[p])
            if (!seen[c]) seen[c] = true, nodes[i]->downstream.push_back(c), stack.push_back(c);
      }
      for (int d : nodes[i]->downstream) nodes[i]->shares_edge = nodes[i]->shares_edge || graph.nodes[d].inputs.size() > 1;
    }
    for (auto& src : nodes) {
      if (!src->source) continue;
      for (int d : src->downstream) {
        auto& r = src->reaching.emplace_back(std::vector<int>{d});
        for (int u : src->downstream)
          if (u != d && std::count(nodes[u]->downstream.begin(), nodes[u]->downstream.end(), d)) r.push_back(u);
      }
    }

    for (auto& np : nodes) {
      NodeRt* n = np.get();
      const std::size_t conc = n->spec->concurrency == 0 ? flow::unlimited : static_cast<std::size_t>(n->spec->concurrency);
      if (n->source) {
        n->ports_node = std::make_unique<MultiNode>(g, flow::serial, [n](const Msg&, OutPorts& ports) { drain(*n, ports); });
      } else if (n->io) {
        int threads = n->spec->concurrency == 0 ? 256 : n->spec->concurrency;
        n->pool = std::make_unique<IoPool>(threads, n->adaptive.get());
        n->ports_node = std::make_unique<MultiNode>(
            g, n->spec->concurrency == 1 ? flow::serial : flow::unlimited,
            [](const Msg& m, OutPorts& ports) { put_port(ports, m.port, m); });
        MultiNode* splitter = n->ports_node.get();
        n->async = std::make_unique<AsyncNode>(
            g, flow::unlimited, [this, n](const Msg& m, AsyncNode::gateway_type& gw) {
              gw.reserve_wait();
              n->pool->submit([this, n, m, &gw] {
                run_body(*n, m, [&gw](int, const Msg& out) { gw.try_put(out); });
                gw.release_wait();
              });
            });
        flow::make_edge(*n->async, *splitter);
        n->input = n->async.get();
      } else {
        n->ports_node = std::make_unique<MultiNode>(g, conc, [this, n](const Msg& m, OutPorts& ports) {
          run_body(*n, m, [&ports](int p, const Msg& out) { put_port(ports, p, out); });
        });
        n->input = n->ports_node.get();
      }
    }
    for (auto& np : nodes) {
      auto& n = *np;
      for (std::size_t p = 0; p < n.consumers.size(); ++p)
        for (int c : n.consumers[p]) connect(n, static_cast<int>(p), *nodes[c]);
    }
  }

  // The source side of the mailbox: queue the record, then kick a drain body unless one is
  // queued or running (it looks at the mailbox again after clearing the flag: see drain()).
  static void post(NodeRt& n, const Msg& m) {
    n.mailbox.push(m);
    if (!n.drain_queued.exchange(true)) n.ports_node->try_put(Msg{});
  }
  static void drain(NodeRt& n, OutPorts& ports) {
    for (;;) {
      Msg m;
      while (n.mailbox.try_pop(m)) put_port(ports, m.port, m);
      // An exchange, not a store: it reads post()'s exchange (a release after its push), so a
      // push whose kick found the flag still set is seen by the empty() below.
      n.drain_queued.exchange(false);
      if (n.mailbox.empty() || n.drain_queued.exchange(true)) return;
    }
  }

  void connect(NodeRt& from, int port, NodeRt& to) {
    edge_from_port(*from.ports_node, port, *to.input, std::make_index_sequence<kMaxOutputPorts>());
  }

  // ---- running ------------------------------------------------------------------------------

  bool controls_done(const NodeRt& n) const {
    for (int p : n.control_preds)
      if (!nodes[p]->done) return false;
    return true;
  }

  void source_thread(NodeRt& n) {
    {
      std::unique_lock lock(mon_mu);
      done_cv.wait(lock, [&] { return controls_done(n) || ctx.stopping(); });
    }
    BodyEmitter em(*this, n, [&n](int, const Msg& m) { post(n, m); });
    const auto t0 = now_us();
    if (!ctx.stopping()) {
      try {
        AdaptiveSourceScope paced(n.adaptive.get());  // the source's own requests take permits
        n.source->run(ctx, em);
      } catch (const std::exception& e) {
        std::lock_guard lock(n.reason_mu);
        n.stopped_reason = redact(e.what());
        spdlog::error("source '{}' stopped: {}", n.spec->id, n.stopped_reason);
        if (n.spec->fatal || dynamic_cast<const FatalError*>(&e)) trip_fatal(n, e.what());
      } catch (...) {
        std::lock_guard lock(n.reason_mu);
        n.stopped_reason = "unknown exception";
        spdlog::error("source '{}' stopped: unknown exception", n.spec->id);
        if (n.spec->fatal) trip_fatal(n, n.stopped_reason);
      }
    }
    n.m.busy_us += now_us() - t0;
    n.finished = true;
    g.release_wait();
    notify();
  }

  // One pass of the completion rules; returns whether anything changed.
  bool settle() {
    bool changed = false;
    for (auto& np : nodes) {
      auto& n = *np;
      if (n.done) continue;
      bool preds_done = true;
      for (int p : n.data_preds) preds_done = preds_done && nodes[p]->done;
      if (preds_done && !n.source) n.watched.store(true);  // before reading `queued`: see leave()
      bool ready = n.source ? n.finished.load() : (preds_done && controls_done(n) && n.m.queued.load() == 0);
      if (!ready) continue;
      BodyEmitter em(*this, n, [&n](int p, const Msg& m) { put_port(n.ports_node->output_ports(), p, m); });
      if (n.source) em.deliver = [&n](int, const Msg& m) { post(n, m); };
      if (n.io && n.async) {
        // close() of an I/O node may emit: route through its splitter like process() does
        em.deliver = [&n](int, const Msg& m) { n.ports_node->try_put(m); };
      }
      try {
        n.impl->close(ctx, em);
      } catch (const std::exception& e) {
        // A failed flush or close loses what the node had accepted: never a success.
        mark_broken(n, std::string("close failed: ") + e.what());
      }
      // Whatever the node still holds was never written, nor dead-lettered: its cluster inputs are
      // returned for redelivery rather than acknowledged.
      {
        std::lock_guard lock(n.tokens_mu);
        for (auto& t : n.held_tokens) t->fail("held by node '" + n.spec->id + "' and never written");
        n.held_tokens.clear();
      }
      if (const auto left = n.m.held.exchange(0); left > 0) {
        n.m.unwritten.fetch_add(left);
        if (!n.broken) mark_broken(n, "close() left " + std::to_string(left) + " records unsettled");
      }
      {
        std::lock_guard lock(mon_mu);
        n.done = true;
      }
      done_cv.notify_all();
      changed = true;
      for (int s : n.control_succs) open_gate(*nodes[s]);
    }
    return changed;
  }

  void open_gate(NodeRt& n) {
    if (n.source || !controls_done(n)) return;
    std::vector<Msg> waiting;
    {
      std::lock_guard lock(n.gate_mu);
      if (n.gate_open.load()) return;
      n.gate_open.store(true, std::memory_order_release);
      waiting.swap(n.stash);
    }
    n.m.queued.fetch_add(static_cast<std::int64_t>(waiting.size()));
    for (auto& m : waiting) n.input->try_put(m);
  }

  bool all_done() const {
    for (const auto& n : nodes)
      if (!n->done) return false;
    return true;
  }
};

}  // namespace

RunSummary summarize(const Graph& graph, const std::vector<const NodeMetrics*>& metrics,
                     const std::vector<std::int64_t>& received,
                     const std::vector<std::vector<std::int64_t>>& port_counts,
                     const std::vector<std::string>& reasons);  // summary.cpp

namespace {

// The summary of the run so far, from our Graph and the runtime's counters.
RunSummary snapshot(Runtime& rt, const std::string& started_at, std::int64_t t0) {
  std::vector<const NodeMetrics*> metrics;
  std::vector<std::int64_t> received;
  std::vector<std::vector<std::int64_t>> ports;
  std::vector<std::string> reasons;
  for (auto& n : rt.nodes) {
    metrics.push_back(&n->m);
    std::vector<std::int64_t> pc;
    for (std::size_t p = 0; p < n->port_names.size(); ++p) pc.push_back(n->port_counts[p].load());
    ports.push_back(pc);
    std::lock_guard lock(n->reason_mu);
    reasons.push_back(!n->broken_reason.empty() ? n->broken_reason : n->stopped_reason);
  }
  // A node received what its producers sent on the ports it consumes (counted before delivery).
  received.assign(rt.nodes.size(), 0);
  for (std::size_t i = 0; i < rt.nodes.size(); ++i)
    for (std::size_t p = 0; p < rt.nodes[i]->consumers.size(); ++p)
      for (int c : rt.nodes[i]->consumers[p]) received[c] += ports[i][p];
  RunSummary s = summarize(rt.graph, metrics, received, ports, reasons);
  s.pipeline = rt.graph.name;
  s.run_id = rt.ctx.run_id();
  s.started_at = started_at;
  s.duration_ms = (now_us() - t0) / 1000.0;
  s.counters = rt.ctx.counters();
  s.outputs = rt.ctx.outputs();
  s.max_error_rate = rt.graph.max_error_rate;
  s.status = "running";
  return s;
}

boost::json::object resource_report(const Resources& resources) {
  boost::json::object out;
  for (const auto& [name, r] : resources.rate_limits())
    out[name] = json::object{{"kind", "rate_limit"}, {"waits", r->waits()}, {"waited_ms", r->waited().count()}};
  for (const auto& [name, b] : resources.breakers()) {
    const auto st = b->state();
    out[name] = json::object{{"kind", "breaker"},
                             {"state", st == CircuitBreaker::State::closed ? "closed" : st == CircuitBreaker::State::open ? "open" : "half_open"},
                             {"trips", b->trips()},
                             {"rejected", b->rejected()}};
  }
  for (const auto& [name, l] : resources.concurrency_limits()) out[name] = l->snapshot().to_json();
  for (const auto& [name, b] : resources.budgets())
    out[name] = json::object{{"kind", "budget"}, {"limit", b->limit()}, {"spent", b->spent()}, {"remaining", b->remaining()}, {"cost", b->cost()}};
  return out;
}

// ok, failed (with the first reason, on one line) or interrupted.
// The first node whose counts do not add up (in = out + errors + filtered + unwritten, and in =
// what its producers sent it), said with its counts; "" when every node balances.
std::string first_unbalanced(const RunSummary& s) {
  for (const auto& n : s.nodes)
    if (!n.balanced)
      return fmt::format("node '{}' does not balance: in {}, received {}, out {}, errors {}, filtered {}, unwritten {}, "
                         "held {} (in must equal received and the sum of the other four)",
                         n.id, n.in, n.received, n.out, n.errors, n.filtered, n.unwritten, n.held);
  return "";
}

void decide_outcome(RunSummary& s, Runtime& rt, bool interrupted) {
  auto fail = [&](std::string why) {
    s.status = "failed", s.exit_code = 1;
    if (s.failure.empty()) s.failure = std::move(why);
  };
  if (interrupted) {
    s.status = "interrupted", s.exit_code = 130;
    return;
  }
  s.status = "ok", s.exit_code = 0;
  if (rt.fatal) fail(rt.fatal_reason);
  for (const auto& n : s.nodes) {
    if (n.role == "source" && !n.stopped_reason.empty()) fail("source '" + n.id + "' stopped: " + n.stopped_reason);
    else if (n.unwritten > 0 || !n.stopped_reason.empty())
      fail("node '" + n.id + "' could not write" + (n.stopped_reason.empty() ? "" : ": " + n.stopped_reason) +
           (n.unwritten > 0 ? "; " + std::to_string(n.unwritten) + " records not written" : ""));
  }
  if (s.max_error_rate >= 0 && s.error_rate > s.max_error_rate)
    fail(fmt::format("dead letters are {:.2f}% of source records, above max_error_rate {:.2f}%", s.error_rate * 100,
                     s.max_error_rate * 100));
  if (s.max_error_rate < 0 && s.dead_letters > 0)
    rt.ctx.warn(fmt::format("{} dead letters ({:.1f}% of source records) and no max_error_rate: set one so that a bad "
                            "day fails the run", s.dead_letters, s.error_rate * 100));
}

void tell_observers(const Registry& registry, RunContext& ctx, const RunSummary& s, const Runtime& rt) {
  for (const auto& obs : registry.observers())
    if (obs.on_finish) {
      try {
        obs.on_finish(ctx, s);
      } catch (const std::exception& e) {
        spdlog::error("run observer failed: {}", rt.redact(e.what()));
      }
    }
}

// Outputs about the run (reports, notifications, publishing files) come after the ledger has the
// finished run; a failure there fails the run, and what they count or warn reaches the ledger too.
void after_run(Runtime& rt, RunSummary& s, const Registry& registry) {
  bool failed = false;
  for (auto& n : rt.nodes) {
    if (n->open_failed) continue;
    try {
      n->impl->after_run(rt.ctx, s);
    } catch (const std::exception& e) {
      const std::string why = "node '" + n->spec->id + "' failed after the run: " + rt.redact(e.what());
      spdlog::error("{}", why);
      if (s.failure.empty()) s.failure = why;
      if (s.exit_code == 0) s.status = "failed", s.exit_code = 1;
      failed = true;
    }
  }
  auto counters = rt.ctx.counters();
  auto warnings = rt.ctx.warnings();
  auto outputs = rt.ctx.outputs();
  if (failed || counters != s.counters || warnings != s.warnings || outputs.size() != s.outputs.size()) {
    s.counters = std::move(counters);
    s.warnings = std::move(warnings);
    s.outputs = std::move(outputs);
    tell_observers(registry, rt.ctx, s, rt);
  }
}

// Opens every node before any record flows, so a missing server fails fast and clearly; "" when
// all opened, else why not.
std::string open_nodes(Runtime& rt) {
  for (auto& n : rt.nodes) {
    try {
      n->impl->open(rt.ctx);
    } catch (const std::exception& e) {
      n->open_failed = true;
      return "node '" + n->spec->id + "' could not start: " + rt.redact(e.what());
    }
  }
  return "";
}

// Drives completion until every node is done; returns whether the run was interrupted.
bool drive(Runtime& rt, const RunOptions& opts, const std::function<RunSummary()>& progress) {
  bool interrupted = false;
  auto last_progress = now_us();
  for (;;) {
    while (rt.settle()) {}
    if (rt.all_done()) break;
    if (opts.on_progress && now_us() - last_progress >= opts.progress_every.count() * 1000) {
      last_progress = now_us();
      opts.on_progress(progress());
    }
    std::unique_lock lock(rt.mon_mu);
    rt.mon_cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return rt.dirty; });
    rt.dirty = false;
    lock.unlock();
    if (opts.handle_signals && g_signals.load() > 0 && !interrupted) {
      interrupted = true;
      spdlog::warn("interrupted: stopping sources and draining records in flight (Ctrl-C again to quit now)");
      rt.ctx.request_stop();
      rt.done_cv.notify_all();
    }
  }
  return interrupted;
}

// SIGINT/SIGTERM stop the sources and drain; restored when the run ends.
class SignalScope {
 public:
  explicit SignalScope(bool on) : on_(on) {
    if (!on_) return;
    g_signals = 0;
    old_int_ = std::signal(SIGINT, on_signal);
    old_term_ = std::signal(SIGTERM, on_signal);
  }
  ~SignalScope() {
    if (!on_) return;
    std::signal(SIGINT, old_int_ ? old_int_ : SIG_DFL);
    std::signal(SIGTERM, old_term_ ? old_term_ : SIG_DFL);
  }

 private:
  bool on_;
  void (*old_int_)(int) = nullptr;
  void (*old_term_)(int) = nullptr;
};

}  // namespace

RunSummary run_pipeline(const Graph& graph, const Registry& registry, const RunOptions& opts) {
  // A clustered pipeline runs group main here and the other groups in `flowrun worker`s.
  if (graph.clustered && registry.cluster()) return registry.cluster()->run(graph, registry, opts);
  auto resources = Resources::from_yaml(graph.resources);
  std::map<std::string, std::string> settings = graph.settings;
  if (!graph.store.empty()) settings["store"] = graph.store;
  settings["pipeline.file"] = graph.file;
  settings["pipeline.dir"] = graph.base_dir;
  for (const auto& [k, v] : opts.settings) settings[k] = v;
  RunContext ctx(graph.name, opts.run_id.empty() ? make_run_id() : opts.run_id, *resources, settings);

  const std::string started_at = iso_now();
  const auto t0 = now_us();
  Runtime rt(graph, ctx);
  rt.trace = opts.trace;
  rt.build(registry);
  for (const auto& obs : registry.observers())
    if (obs.on_start) obs.on_start(ctx);

  bool interrupted = false;
  if (const std::string why = open_nodes(rt); !why.empty()) {
    // Nothing runs; the ledger and the nodes' after_run (a notification is most wanted now) still
    // hear of it.
    rt.trip_fatal_reason(why);
  } else {
    SignalScope signals(opts.handle_signals);
    std::vector<std::thread> sources;
    for (auto& n : rt.nodes)
      if (n->source) {
        rt.g.reserve_wait();
        sources.emplace_back([&rt, p = n.get()] { rt.source_thread(*p); });
      }
    interrupted = drive(rt, opts, [&] { return snapshot(rt, started_at, t0); });
    rt.g.wait_for_all();
    for (auto& t : sources) t.join();
    for (auto& n : rt.nodes)
      if (n->pool) n->pool->stop();
  }

  RunSummary s = snapshot(rt, started_at, t0);
  s.finished_at = iso_now();
  s.resources = resource_report(*resources);
  // Before a clustered run merges the other processes' counts (a redelivered message is counted
  // by each process that took it): this process's own nodes must balance.
  const std::string lost = first_unbalanced(s);
  // A clustered run's main process waits here for the other processes and merges their counts.
  const std::string cluster_failure = opts.complete ? opts.complete(s, ctx, interrupted || rt.fatal) : "";
  decide_outcome(s, rt, interrupted);
  if (!lost.empty() && !interrupted) {
    // Records the engine cannot place (a node's counts that do not add up): never an exit 0.
    spdlog::error("{}", lost);
    s.status = "failed", s.exit_code = 1;
    if (s.failure.empty()) s.failure = lost;
  }
  if (!cluster_failure.empty() && !interrupted) {
    s.status = "failed", s.exit_code = 1;
    if (s.failure.empty()) s.failure = cluster_failure;
  }
  if (rt.fatal) ctx.add_counter("fatal", 1), s.counters["fatal"] = 1, spdlog::error("{}", rt.fatal_reason);
  s.warnings = ctx.warnings();
  tell_observers(registry, ctx, s, rt);
  if (!interrupted) ctx.clear_stop();  // a Ctrl-C still cuts outputs about the run short
  after_run(rt, s, registry);
  return s;
}

}  // namespace flowrun
