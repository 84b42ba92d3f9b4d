// flowrun-bench-llm: the LLM enricher against the fake LLM server (docs/benchmarks/llm.md).
//
//   flowrun-bench-llm scaling  [--latency-ms 100] [--per-slot 30] [C ...]        (C: 1 4 16 64)
//     The fake answers every request after L ms with unlimited slots. For each C, first a plain
//     client (C threads, one keep-alive libcurl handle each) sends C x per-slot copies of the
//     enricher's own request: that shows the fake keeps up. Then `load_source -> llm_enricher
//     (concurrency: C) -> load_sink` enriches C x per-slot records, and once C records (one per
//     slot). Efficiency = ideal time (per-slot x L) / time taken; the per-request overhead
//     flowrun adds is the slope between the two runs minus L, so start-up is not smeared over it.
//
//   flowrun-bench-llm capacity [--latency-ms 20] [--settle-s 3] [--measure-s 4]
//                              [--overflow queue|reject|both] [K ...]             (K: 2 8 32)
//     The fake has K slots; beyond K it queues or answers 429 + Retry-After. Fixed C = K/2, K,
//     2K and `adaptive` run at full demand; records enriched per second while measured, against
//     the ideal min(C, K)/L (adaptive: K/L), the time per request beyond L that this means, and
//     the share of requests answered 429.
//
//   flowrun-bench-llm llama [--settle-s 3] [--measure-s 4]
//     Fixed C = 1, 2, 4, 6, 8 and adaptive against a real llama-server --parallel 4 (when
//     tools/llama/build.sh has built it; else it says so).
//
// All print markdown tables; every ratio is measured in the same run of this program.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tools/fixtures/llm/llama_server.hpp"
#include "tools/fixtures/llm/load_run.hpp"

using namespace flowrun;
using namespace flowrun::fixtures;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

// C threads, each sending `per_slot` POSTs one after another on its own keep-alive connection.
double plain_client(const std::string& url, const std::string& body, int c, int per_slot) {
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < c; ++i)
    threads.emplace_back([&] {
      CURL* h = curl_easy_init();
      curl_slist* hdrs = curl_slist_append(nullptr, "Content-Type: application/json");
      hdrs = curl_slist_append(hdrs, "Expect:");
      curl_easy_setopt(h, CURLOPT_URL, url.c_str());
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
      for (int k = 0; k < per_slot; ++k) {
        long status = 0;
        if (curl_easy_perform(h) != CURLE_OK) ++failures;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) ++failures;
      }
      curl_slist_free_all(hdrs);
      curl_easy_cleanup(h);
    });
  for (auto& t : threads) t.join();
  if (failures) std::fprintf(stderr, "plain client: %d requests failed\n", failures.load());
  return seconds_since(t0);
}

// The exact request body the enricher sends for one record, as the fake received it.
std::string enricher_body(const Registry& reg) {
  FakeLlmServer recorder;
  recorder.start();
  std::string yaml = "name: one\nnodes:\n  src: {type: load_source, count: 1}\n"
                     "  enrich: {type: llm_enricher, inputs: [src], cache: false, base_url: \"" + recorder.url() +
                     "\"}\n  sink: {type: load_sink, inputs: [enrich, enrich.errors]}\n";
  auto loaded = load_pipeline_string(yaml, "one.yaml", reg);
  run_pipeline(loaded.graph, reg);
  auto bodies = recorder.bodies("/api/chat");
  if (bodies.empty()) throw std::runtime_error("the enricher sent no chat request");
  return bodies.front();
}

double timed_pipeline(const std::string& yaml, const Registry& reg) {
  auto loaded = load_pipeline_string(yaml, "bench.yaml", reg);
  if (!loaded.ok()) throw std::runtime_error(loaded.diagnostics.all().front().str());
  auto t0 = Clock::now();
  run_pipeline(loaded.graph, reg);
  return seconds_since(t0);
}

int scaling(int latency_ms, int per_slot, std::vector<int> cs) {
  if (cs.empty()) cs = {1, 4, 16, 64};
  LoadCounters counters;
  Registry reg = load_registry(counters);
  const std::string body = enricher_body(reg);
  FakeLlmServer::Options o;
  o.record_requests = false;  // a benchmark of hours would otherwise hold every body
  FakeLlmServer fake(o);
  fake.start();
  fake.set_latency(std::chrono::milliseconds(latency_ms));
  const double l = latency_ms / 1000.0;
  std::printf("L = %d ms, %d requests per slot\n\n", latency_ms, per_slot);
  std::printf("| C | requests | ideal C/L per s | plain client: efficiency | flowrun: records/s | flowrun: efficiency "
              "| ms per request over L: plain client | ... flowrun | flowrun adds ms per request "
              "| flowrun start-up ms | max in flight at the fake |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int c : cs) {
    const int n = c * per_slot;
    const double plain = plain_client(fake.url() + "/api/chat", body, c, per_slot);
    auto pipeline = [&](int count) {
      return "name: bench\nnodes:\n  src: {type: load_source, count: " + std::to_string(count) +
             "}\n  enrich: {type: llm_enricher, inputs: [src], concurrency: " + std::to_string(c) +
             ", cache: false, base_url: \"" + fake.url() + "\"}\n  sink: {type: load_sink, inputs: [enrich, enrich.errors]}\n";
    };
    const double one = timed_pipeline(pipeline(c), reg);
    fake.reset_counters();
    const double full = timed_pipeline(pipeline(n), reg);
    // Per request and slot, beyond L: the plain client's own, and flowrun's from the slope
    // between its two runs (so its start-up is not spread over the requests).
    const double plain_over = (plain / per_slot - l) * 1000;
    const double flowrun_over = ((full - one) / (per_slot - 1) - l) * 1000;
    std::printf("| %d | %d | %.0f | %.3f | %.1f | %.3f | %.2f | %.2f | %.2f | %.0f | %d |\n", c, n, c / l,
                per_slot * l / plain, n / full, per_slot * l / full, plain_over, flowrun_over,
                flowrun_over - plain_over, (one - l) * 1000, fake.max_in_flight());
    std::fflush(stdout);
  }
  return 0;
}

int capacity(int latency_ms, int settle_s, int measure_s, const std::vector<bool>& rejects, std::vector<int> ks) {
  if (ks.empty()) ks = {2, 8, 32};
  LoadCounters counters;
  Registry reg = load_registry(counters);
  FakeLlmServer::Options o;
  o.record_requests = false;
  std::printf("L = %d ms (%d ms for K > 8, so that 2 cores keep up with K/L requests a second); settle %d s, "
              "then measured for %d s at full demand\n\n", latency_ms, std::max(latency_ms, 50), settle_s, measure_s);
  std::printf("| fake beyond K | K | L ms | concurrency | records/s | ideal | efficiency | ms per request over L "
              "| share of K/L | 429s / requests | adaptive limit: median (min..max) |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (bool reject : rejects)
    for (int k : ks) {
      std::vector<std::string> configs{std::to_string(std::max(1, k / 2)), std::to_string(k), std::to_string(2 * k),
                                       "adaptive"};
      const int lat_ms = k > 8 ? std::max(latency_ms, 50) : latency_ms;
      const double l = lat_ms / 1000.0;
      for (const auto& conc : configs) {
        FakeLlmServer fake(o);
        fake.start();
        fake.set_latency(std::chrono::milliseconds(lat_ms));
        fake.set_slots(k);
        fake.set_overflow(reject ? FakeLlmServer::Overflow::reject : FakeLlmServer::Overflow::queue, 1);
        const bool adaptive = conc == "adaptive";
        auto run = run_load(enrich_pipeline(fake.url(), conc, 4 * std::max(k, 32)), counters, reg, &fake,
                            {Phase{{}, std::chrono::seconds(adaptive ? settle_s : 1), std::chrono::seconds(measure_s)}});
        const auto& p = run.phases.front();
        // A fixed C can use min(C, K) slots; adaptive is held to the server's K.
        const int usable = adaptive ? k : std::min(k, std::atoi(conc.c_str()));
        const double ideal = usable / l, eff = p.done_per_s / ideal;
        const std::string limit = adaptive ? std::to_string(p.limit_median()) + " (" + std::to_string(p.limit_min) +
                                                 ".." + std::to_string(p.limit_max) + ")"
                                           : "-";
        std::printf("| %s | %d | %d | %s | %.1f | %.0f | %.3f | %.2f | %.3f | %lld / %lld (%.2f%%) | %s |\n",
                    reject ? "429" : "queue", k, lat_ms, adaptive ? "adaptive" : ("fixed " + conc).c_str(), p.done_per_s, ideal,
                    eff, p.done_per_s > 0 ? (usable / p.done_per_s - l) * 1000 : 0.0, p.done_per_s / (k / l),
                    static_cast<long long>(p.rejected), static_cast<long long>(p.requests),
                    p.rejected_fraction() * 100, limit.c_str());
        std::fflush(stdout);
      }
    }
  return 0;
}

// Fixed C = 1, 2, 4, 6, 8 vs adaptive against a real llama-server --parallel 4 (tools/llama/build.sh),
// one round (tests/adaptive's llama-server test runs several, interleaved).
int llama(int settle_s, int measure_s) {
  if (!LlamaServer::found()) {
    std::printf("skipped: no llama-server or model (run tools/llama/build.sh)\n");
    return 0;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("flowrun-bench-llama-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  LlamaServer server(4, (dir / "llama.log").string());
  if (!server.started() || !server.wait_healthy(60)) throw std::runtime_error("llama-server did not start");
  std::ofstream(dir / "schema.json") << R"({"type":"object","additionalProperties":false,
    "required":["trend"],"properties":{"trend":{"type":"string","enum":["rising","stable","declining"]}}})";
  LoadCounters counters;
  Registry reg = load_registry(counters);
  std::printf("llama-server -t %s --parallel 4, random-weight model, schema-constrained replies (max_tokens 32); "
              "settle %d s, measure %d s\n\n| concurrency | records/s | vs best fixed | adaptive limit: median (min..max) |\n"
              "|---|---|---|---|\n", LlamaServer::threads().c_str(), settle_s, measure_s);
  std::vector<std::pair<std::string, PhaseResult>> rows;
  double best = 0;
  for (std::string c : {"1", "2", "4", "6", "8", "adaptive"}) {
    auto yaml = enrich_pipeline(server.url(), c == "adaptive" ? "{adaptive: true, max: 16}" : c, 16,
                                "provider: openai, model: flowrun-test, max_tokens: 32, timeout: 60s, schema: \"" +
                                    (dir / "schema.json").string() + "\"");
    auto r = run_load(yaml, counters, reg, nullptr,
                      {Phase{{}, std::chrono::seconds(c == "adaptive" ? 2 * settle_s : settle_s),
                             std::chrono::seconds(measure_s)}});
    if (c != "adaptive") best = std::max(best, r.phases.front().done_per_s);
    rows.emplace_back(c, r.phases.front());
  }
  for (const auto& [c, p] : rows)
    std::printf("| %s | %.2f | %.3f | %s |\n", c == "adaptive" ? "adaptive" : ("fixed " + c).c_str(), p.done_per_s,
                best > 0 ? p.done_per_s / best : 0.0,
                c == "adaptive" ? (std::to_string(p.limit_median()) + " (" + std::to_string(p.limit_min) + ".." +
                                   std::to_string(p.limit_max) + ")").c_str()
                                : "-");
  std::filesystem::remove_all(dir);
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: flowrun-bench-llm scaling [--latency-ms L] [--per-slot N] [C ...]\n"
               "       flowrun-bench-llm capacity [--latency-ms L] [--settle-s S] [--measure-s S]\n"
               "                                  [--overflow queue|reject|both] [K ...]\n"
               "       flowrun-bench-llm llama [--settle-s S] [--measure-s S]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string mode = argv[1];
  int latency_ms = mode == "scaling" ? 100 : 20, per_slot = 30, settle_s = 3, measure_s = 4;
  std::vector<bool> rejects{false, true};
  std::vector<int> numbers;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--latency-ms") latency_ms = std::atoi(value().c_str());
    else if (a == "--per-slot") per_slot = std::max(2, std::atoi(value().c_str()));
    else if (a == "--settle-s") settle_s = std::atoi(value().c_str());
    else if (a == "--measure-s") measure_s = std::atoi(value().c_str());
    else if (a == "--overflow") {
      std::string v = value();
      if (v == "queue") rejects = {false};
      else if (v == "reject") rejects = {true};
      else if (v != "both") return usage();
    } else if (!a.empty() && std::isdigit(static_cast<unsigned char>(a[0]))) numbers.push_back(std::atoi(a.c_str()));
    else return usage();
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    if (mode == "scaling") return scaling(latency_ms, per_slot, numbers);
    if (mode == "capacity") return capacity(latency_ms, settle_s, measure_s, rejects, numbers);
    if (mode == "llama") return llama(settle_s, measure_s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flowrun-bench-llm: %s\n", e.what());
    return 1;
  }
  return usage();
}
