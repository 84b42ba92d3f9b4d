// run_load() (tools/fixtures/llm/load_run.hpp, shared with the benchmarks) with every node's
// balance checked once the pipeline has drained (tests/shared/run_checks.hpp): stopping the
// load source mid-run leaves nothing in flight, so the rule holds as for any finished run.
#pragma once
#include "tests/shared/run_checks.hpp"
#include "tools/fixtures/llm/load_run.hpp"

namespace flowrun::testing {

inline fixtures::LoadRun run_load_checked(const std::string& yaml, fixtures::LoadCounters& counters,
                                          const Registry& registry, fixtures::FakeLlmServer* fake,
                                          const std::vector<fixtures::Phase>& phases,
                                          const std::string& node = "enrich") {
  auto run = fixtures::run_load(yaml, counters, registry, fake, phases, node);
  check_balanced(run.summary);
  return run;
}

}  // namespace flowrun::testing
