// Node types for the engine benchmarks: an in-memory source, a pass-through, a counting sink
// and a deliberately slow sink. Header-only so each benchmark is one small program.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "engine/context.hpp"
#include "engine/pipeline.hpp"

namespace flowrun::bench {

// Records the in-memory source hands out (copies, so every repetition sees the same input).
inline std::vector<Record>& prebuilt() {
  static std::vector<Record> v;
  return v;
}
inline std::atomic<std::int64_t>& sink_count() {
  static std::atomic<std::int64_t> n{0};
  return n;
}

inline Record make_record(std::int64_t i) {
  Record r(json::object{{"APN", "123-45-" + std::to_string(100000 + i)},
                        {"SitusAddress", std::to_string(1000 + i % 9000) + " W Main St"},
                        {"SitusCity", "PHOENIX"},
                        {"SitusZip", "85031"},
                        {"FullCashValue", 250000 + i % 100000},
                        {"n", i}});
  r.env.source_id = std::to_string(i);
  return r;
}

// Emits copies of prebuilt() (option `generate: true`: builds `count` records on the fly
// instead, so that input memory does not hide what the pipeline holds).
class MemSource : public SourceNode {
 public:
  explicit MemSource(const NodeConfig& c) : generate_(c.get_bool("generate")), count_(c.get_int("count", 0)) {}
  void run(RunContext& ctx, Emitter& out) override {
    if (generate_) {
      for (std::int64_t i = 0; i < count_ && !ctx.stopping(); ++i) out.emit(make_record(i));
      return;
    }
    for (const auto& r : prebuilt()) out.emit(Record(r));
  }

 private:
  bool generate_;
  std::int64_t count_;
};

class PassThrough : public ProcessNode {
 public:
  void process(Record in, RunContext&, Emitter& out) override { out.emit(std::move(in)); }
  void process_in_place(Record& in, RunContext&, Emitter& out) override { out.emit(std::move(in)); }
};

class CountSink : public ProcessNode {
 public:
  explicit CountSink(const NodeConfig& c) : spin_(c.get_int("spin_ns", 0)) {}
  void process(Record in, RunContext& ctx, Emitter& out) override { process_in_place(in, ctx, out); }
  void process_in_place(Record&, RunContext&, Emitter&) override {
    if (spin_ > 0) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(spin_);
      while (std::chrono::steady_clock::now() < until) {}
    }
    sink_count().fetch_add(1, std::memory_order_relaxed);
  }

 private:
  std::int64_t spin_;
};

inline Registry make_registry() {
  Registry reg;
  NodeDescriptor src;
  src.type = "mem_source";
  src.role = Role::source;
  src.description = "in-memory records";
  src.options = {{"generate", OptionType::boolean, "false", "build records on the fly", false, {}},
                 {"count", OptionType::integer, "0", "records to generate", false, {}}};
  src.factory = [](const NodeConfig& c) { return std::make_unique<MemSource>(c); };
  reg.add(src);
  NodeDescriptor pass;
  pass.type = "pass";
  pass.description = "pass-through";
  pass.factory = [](const NodeConfig&) { return std::make_unique<PassThrough>(); };
  reg.add(pass);
  NodeDescriptor sink;
  sink.type = "count";
  sink.role = Role::sink;
  sink.description = "counts records, optionally spinning per record";
  sink.options = {{"spin_ns", OptionType::integer, "0", "busy-wait per record", false, {}}};
  sink.factory = [](const NodeConfig& c) { return std::make_unique<CountSink>(c); };
  reg.add(sink);
  return reg;
}

}  // namespace flowrun::bench
