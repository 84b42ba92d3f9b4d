#include "tests/engine/test_nodes.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "engine/context.hpp"
#include "nodes/file/register.hpp"

namespace flowrun::testing {

Observations& obs() {
  static Observations o;
  return o;
}

static std::atomic<std::int64_t> g_events{0};
std::int64_t next_event() { return ++g_events; }

void reset_observations() {
  auto& o = obs();
  std::lock_guard lock(o.mu);
  o.captured.clear();
  o.first_event.clear();
  o.last_event.clear();
  o.max_concurrent.clear();
  o.threads.clear();
}

namespace {

void note_event(const std::string& id) {
  auto e = next_event();
  auto& o = obs();
  std::lock_guard lock(o.mu);
  if (!o.first_event.count(id)) o.first_event[id] = e;
  o.last_event[id] = e;
}

std::int64_t n_of(const Record& r) { return r.data.at("n").as_int64(); }

class Counter : public SourceNode {
 public:
  explicit Counter(const NodeConfig& c) : id_(c.id()), count_(c.get_int("count", 10)), fail_after_(c.get_int("fail_after", 0)) {}
  void run(RunContext& ctx, Emitter& out) override {
    for (std::int64_t i = 1; i <= count_ && !ctx.stopping(); ++i) {
      if (fail_after_ > 0 && i > fail_after_) throw std::runtime_error("counter gave up after " + std::to_string(fail_after_));
      note_event(id_);
      Record r(json::object{{"n", i}, {"src", id_}});
      r.env.source_id = std::to_string(i);
      out.emit(std::move(r));
    }
  }

 private:
  std::string id_;
  std::int64_t count_, fail_after_;
};

class Pass : public ProcessNode {
 public:
  void process(Record in, RunContext&, Emitter& out) override { out.emit(std::move(in)); }
};

class ThrowIf : public ProcessNode {
 public:
  explicit ThrowIf(const NodeConfig& c) : every_(c.get_int("every", 0)), record_error_(c.get_bool("record_error")) {}
  void process(Record in, RunContext&, Emitter& out) override {
    const auto n = n_of(in);
    if (every_ > 0 && n % every_ == 0) {
      if (record_error_) throw RecordError("n", "not_divisible", "n=" + std::to_string(n) + " is divisible by " + std::to_string(every_));
      throw std::runtime_error("boom at n=" + std::to_string(n));
    }
    out.emit(std::move(in));
  }

 private:
  std::int64_t every_;
  bool record_error_;
};

class FilterOdd : public ProcessNode {
 public:
  void process(Record in, RunContext&, Emitter& out) override {
    if (n_of(in) % 2 != 0) return out.filtered();
    out.emit(std::move(in));
  }
};

class Split : public ProcessNode {
 public:
  void process(Record in, RunContext&, Emitter& out) override {
    if (n_of(in) % 2 == 0) out.emit(std::move(in));
    else out.emit("rejected", std::move(in));
  }
};

// Sleeps like a network call and records how many bodies of this node run at once.
class Sleepy : public ProcessNode {
 public:
  explicit Sleepy(const NodeConfig& c) : id_(c.id()), ms_(c.get_int("ms", 100)) {}
  void process(Record in, RunContext&, Emitter& out) override {
    const int now = ++running_;
    {
      auto& o = obs();
      std::lock_guard lock(o.mu);
      o.max_concurrent[id_] = std::max(o.max_concurrent[id_], now);
      o.threads[id_].insert(std::this_thread::get_id());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
    --running_;
    out.emit(std::move(in));
  }

 private:
  std::string id_;
  std::int64_t ms_;
  std::atomic<int> running_{0};
};

// An aggregate: holds its inputs and emits one total when closed. The inputs went into that total,
// so they count as out once it is emitted (written), never as filtered: nothing was dropped.
class Tally : public ProcessNode {
 public:
  void process(Record, RunContext&, Emitter& out) override {
    ++seen_;
    out.hold();
  }
  void close(RunContext&, Emitter& out) override {
    out.emit(Record(json::object{{"total", seen_.load()}, {"n", 0}}));
    out.written(seen_.load());
  }

 private:
  std::atomic<std::int64_t> seen_{0};
};

class Capture : public ProcessNode {
 public:
  explicit Capture(const NodeConfig& c) : id_(c.id()) {}
  void process(Record in, RunContext&, Emitter&) override {
    note_event(id_);
    auto& o = obs();
    std::lock_guard lock(o.mu);
    o.captured[id_].push_back(std::move(in));
  }

 private:
  std::string id_;
};

// Spins (rather than sleeps) so that the delay is short and the sink is simply slower than the source.
// A broken sink: it holds each record, then says it wrote two. Its counts cannot add up, which
// is what the engine's own balance verdict is tested with.
class MiscountingSink : public ProcessNode {
 public:
  explicit MiscountingSink(const NodeConfig&) {}
  void process(Record, RunContext&, Emitter& out) override {
    out.hold();
    out.written(2);
  }
};

class SlowSink : public ProcessNode {
 public:
  explicit SlowSink(const NodeConfig& c) : us_(c.get_int("us", 50)) {}
  void process(Record, RunContext&, Emitter&) override {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us_);
    while (std::chrono::steady_clock::now() < until) {}
  }

 private:
  std::int64_t us_;
};

template <class T>
NodeDescriptor describe(std::string type, Role role, std::vector<OptionSpec> options = {}) {
  NodeDescriptor d;
  d.type = std::move(type);
  d.role = role;
  d.description = "test node";
  d.options = std::move(options);
  if constexpr (std::is_constructible_v<T, const NodeConfig&>)
    d.factory = [](const NodeConfig& c) { return std::make_unique<T>(c); };
  else
    d.factory = [](const NodeConfig&) { return std::make_unique<T>(); };
  return d;
}

}  // namespace

const Registry& test_registry() {
  static const Registry r = [] {
    Registry reg;
    register_file_nodes(reg);
    std::vector<OptionSpec> counter_opts = {
        {"count", OptionType::integer, "10", "records to emit", false, {}},
        {"fail_after", OptionType::integer, "0", "throw after this many (0 = never)", false, {}},
        {"tags", OptionType::string_list, "", "free list (for substitution tests)", false, {}},
        {"label", OptionType::string, "", "free text (for substitution tests)", false, {}},
        {"limit", OptionType::rate_limit, "", "a rate limit resource", false, {}},
        {"key", OptionType::secret, "", "a secret", false, {}},
    };
    reg.add(describe<Counter>("counter", Role::source, counter_opts));
    reg.add(describe<Counter>("ticker", Role::source, counter_opts));
    auto pass = describe<Pass>("pass", Role::transform);
    pass.default_concurrency = 4;
    reg.add(pass);
    reg.add(describe<ThrowIf>("throw_if", Role::transform,
                              {{"every", OptionType::integer, "0", "throw when n % every == 0", false, {}},
                               {"record_error", OptionType::boolean, "false", "throw RecordError", false, {}}}));
    reg.add(describe<FilterOdd>("filter_odd", Role::transform));
    auto split = describe<Split>("split", Role::transform);
    split.ports = {"rejected"};
    reg.add(split);
    auto sleepy = describe<Sleepy>("sleepy", Role::transform, {{"ms", OptionType::integer, "100", "sleep per record", false, {}}});
    sleepy.blocking_io = true;
    reg.add(sleepy);
    reg.add(describe<Sleepy>("cpu_sleepy", Role::transform, {{"ms", OptionType::integer, "100", "sleep per record", false, {}}}));
    reg.add(describe<Capture>("capture", Role::sink));
    reg.add(describe<Tally>("tally", Role::transform));
    reg.add(describe<MiscountingSink>("miscounting_sink", Role::sink));
    reg.add(describe<SlowSink>("slow_sink", Role::sink, {{"us", OptionType::integer, "50", "spin per record", false, {}}}));
    auto slow_io = describe<SlowSink>("slow_io_sink", Role::sink, {{"us", OptionType::integer, "50", "spin per record", false, {}}});
    slow_io.blocking_io = true;
    reg.add(slow_io);
    return reg;
  }();
  return r;
}

LoadResult load(const std::string& yaml, const LoadOptions& opts) {
  return load_pipeline_string(yaml, "t.yaml", test_registry(), opts);
}

std::string all_diagnostics(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics.all()) s += d.str() + "\n";
  return s;
}

Graph load_ok(const std::string& yaml, const LoadOptions& opts) {
  auto r = load(yaml, opts);
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  return std::move(r.graph);
}

const NodeSummary& node(const RunSummary& s, const std::string& id) {
  for (const auto& n : s.nodes)
    if (n.id == id) return n;
  FAIL("no node '" << id << "' in the run summary");
  throw std::logic_error("unreachable");
}

}  // namespace flowrun::testing
