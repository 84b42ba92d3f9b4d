// The process the cluster tests start several of: `flowrun run` and `flowrun worker` as the CLI
// runs them (the engine's run_pipeline and the registered NATS transport), with one extra node
// type, test_slow, so that a worker is busy long enough to be killed mid-run.
//   cluster_proc run FILE          prints the run's summary as JSON, exits with its exit code
//   cluster_proc worker FILE GROUP [--once]
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "engine/cluster.hpp"
#include "engine/json_text.hpp"
#include "engine/pipeline.hpp"
#include "nodes/builtin.hpp"
#include "tests/store/test_nodes.hpp"

namespace {

using namespace flowrun;

// Waits delay_ms, then adds `field` (default `doubled`) = price x `factor` (default 2):
// deterministic, so a record processed twice (a redelivery) is stored the same way; two stages
// with different fields show that a record went through both. `crash_on: ID` kills the process
// on that record (a poison message); `fail_on: ID` fails that record (it goes to dead letters).
class Slow final : public ProcessNode {
 public:
  explicit Slow(const NodeConfig& c)
      : delay_(c.get_int("delay_ms", 10)),
        crash_on_(c.get_string("crash_on", "")),
        fail_on_(c.get_string("fail_on", "")),
        field_(c.get_string("field", "doubled")),
        factor_(c.get_int("factor", 2)) {}
  void process(Record in, RunContext&, Emitter& out) override {
    if (const auto* id = in.data.if_contains("id"); id && id->is_string() && !crash_on_.empty() && id->get_string() == crash_on_)
      std::_Exit(3);
    if (const auto* id = in.data.if_contains("id"); id && id->is_string() && !fail_on_.empty() && id->get_string() == fail_on_)
      throw std::runtime_error("test_slow fails on " + fail_on_);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_));
    if (const auto* p = in.data.if_contains("price"); p && p->is_int64()) in.data[field_] = p->get_int64() * factor_;
    out.emit(std::move(in));
  }

 private:
  std::int64_t delay_;
  std::string crash_on_, fail_on_;
  std::string field_;
  std::int64_t factor_;
};

void register_slow(Registry& r) {
  NodeDescriptor d;
  d.type = "test_slow";
  d.role = Role::transform;
  d.blocking_io = true;  // waits like an LLM call: on I/O threads, so `concurrency:` is what is in flight
  d.options = {{"delay_ms", OptionType::integer, "10", "milliseconds per record"},
               {"crash_on", OptionType::string, "", "record id that kills the process"},
               {"fail_on", OptionType::string, "", "record id that fails (dead-lettered)"},
               {"field", OptionType::string, "doubled", "field the result is written to"},
               {"factor", OptionType::integer, "2", "price x factor is the result"}};
  d.factory = [](const NodeConfig& c) { return std::make_unique<Slow>(c); };
  r.add(std::move(d));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: cluster_proc run FILE | worker FILE GROUP [--once]\n";
    return 2;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("flowrun"));
  spdlog::set_level(spdlog::level::info);
  Registry registry;
  register_builtin_nodes(registry);
  testnodes::register_test_nodes(registry);
  register_slow(registry);
  const std::string cmd = argv[1];
  auto loaded = load_pipeline_file(argv[2], registry);
  for (const auto& d : loaded.diagnostics.all()) std::cerr << d.str() << "\n";
  if (loaded.diagnostics.has_errors()) return 2;
  if (cmd == "run") {
    RunOptions o;
    o.handle_signals = true;
    RunSummary s = run_pipeline(loaded.graph, registry, o);
    std::string out;
    append_json(out, s.to_json());
    std::cout << out << "\n";
    return s.exit_code;
  }
  if (cmd == "worker" && argc >= 4) {
    WorkerOptions wo;
    wo.group = argv[3];
    wo.once = argc >= 5 && std::string(argv[4]) == "--once";
    return registry.cluster()->serve(loaded.graph, registry, wo);
  }
  std::cerr << "unknown command " << cmd << "\n";
  return 2;
}
