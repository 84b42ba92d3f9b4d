// Adaptive concurrency against a real llama-server --parallel 4 (tools/llama/build.sh): it should
// settle at 4 to 6 requests in flight and get as much from the server as the best fixed setting.
// Skips with a message when llama-server and its model are not built (CI does not build them).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "tools/fixtures/llm/llama_server.hpp"
#include "tools/fixtures/llm/load_run.hpp"

using namespace flowrun;
using namespace flowrun::fixtures;
using namespace std::chrono_literals;

TEST_CASE("adaptive concurrency settles at llama-server's 4 parallel slots", "[adaptive][slow][llama]") {
  if (!LlamaServer::found()) {
    WARN("skipped: no llama-server or model (run tools/llama/build.sh, or set FLOWRUN_LLAMA_SERVER and "
         "FLOWRUN_LLAMA_MODEL)");
    return;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("flowrun-adaptive-llama-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  LlamaServer server(4, (dir / "llama.log").string());
  REQUIRE(server.started());
  INFO("llama-server log: " << (dir / "llama.log").string());
  REQUIRE(server.wait_healthy(60));
  // A small schema keeps the random model's answers short; the grammar still produces them.
  std::ofstream(dir / "schema.json") << R"({"type":"object","additionalProperties":false,
    "required":["rent","trend"],"properties":{"rent":{"type":"integer","minimum":0,"maximum":9999},
    "trend":{"type":"string","enum":["rising","stable","declining"]}}})";

  LoadCounters counters;
  Registry registry = load_registry(counters);
  auto pipeline = [&](const std::string& concurrency) {
    return enrich_pipeline(server.url(), concurrency, 64,
                           "provider: openai, model: flowrun-test, max_tokens: 48, timeout: 60s, schema: \"" +
                               (dir / "schema.json").string() + "\"");
  };
  double best = 0;
  int best_c = 0;
  for (int c : {2, 4, 8}) {
    auto r = run_load(pipeline(std::to_string(c)), counters, registry, nullptr, {Phase{{}, 2s, 5s}});
    const double rate = r.phases.front().done_per_s;
    UNSCOPED_INFO("fixed " << c << ": " << rate << " records/s");
    if (rate > best) best = rate, best_c = c;
  }
  auto r = run_load(pipeline("adaptive"), counters, registry, nullptr, {Phase{{}, 8s, 8s}});
  const auto& p = r.phases.front();
  INFO("adaptive: " << p.done_per_s << " records/s, limit " << p.limit_min << ".." << p.limit_max << " (median "
                    << p.limit_median() << "); best fixed " << best << " records/s at " << best_c);
  REQUIRE(best > 0);
  CHECK(p.done_per_s >= 0.95 * best);
  CHECK(p.limit_median() >= 4);
  CHECK(p.limit_median() <= 6);
  std::filesystem::remove_all(dir);
}
