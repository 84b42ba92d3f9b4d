// `concurrency: adaptive` in real pipeline runs against the fake LLM server with K slots, beyond
// which it queues (latency grows) or answers 429 + Retry-After. Every comparison is with the best
// fixed concurrency measured in the same test, so the machine's speed cancels out. Each TEST_CASE
// is its own ctest test and they run in parallel (ctest -j).
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/adaptive/checked_load.hpp"
#include "tools/fixtures/llm/load_run.hpp"

using namespace flowrun;
using namespace flowrun::fixtures;
using namespace std::chrono_literals;

namespace {

// Short, so the tests are; longer where K is large, so that 2 cores shared with other tests keep
// up with K/L requests a second (the comparisons are relative, but a saturated CPU is noise).
std::chrono::milliseconds latency_for(int k) { return k > 8 ? 50ms : 20ms; }

struct Bench {
  LoadCounters counters;
  Registry registry = load_registry(counters);
  FakeLlmServer fake{quiet()};
  Bench(int slots, bool reject, std::chrono::milliseconds latency) {
    fake.start();
    fake.set_latency(latency);
    fake.set_slots(slots);
    fake.set_overflow(reject ? FakeLlmServer::Overflow::reject : FakeLlmServer::Overflow::queue, 1);
  }
  static FakeLlmServer::Options quiet() {
    FakeLlmServer::Options o;
    o.record_requests = false;
    return o;
  }
  PhaseResult once(const std::string& concurrency, std::chrono::milliseconds settle, std::chrono::milliseconds measure) {
    return flowrun::testing::run_load_checked(enrich_pipeline(fake.url(), concurrency, 256), counters, registry, &fake, {Phase{{}, settle, measure}})
        .phases.front();
  }
};

std::string describe(const PhaseResult& r) {
  return std::to_string(r.done_per_s) + " records/s, " + std::to_string(r.rejected) + " 429s of " +
         std::to_string(r.requests) + " requests, limit " + std::to_string(r.limit_min) + ".." +
         std::to_string(r.limit_max);
}

// Best fixed concurrency (K or 2K: below K a slot always idles), then adaptive from its default
// start (2, the enricher's default concurrency), measured once converged.
void adaptive_matches_best_fixed(int k, bool reject) {
  Bench b(k, reject, latency_for(k));
  INFO("K = " << k << ", beyond it: " << (reject ? "429 + Retry-After" : "queue"));
  double best = 0;
  for (int c : {k, 2 * k}) {
    auto fixed = b.once(std::to_string(c), 1s, 2s);
    INFO("fixed " << c << ": " << describe(fixed));
    best = std::max(best, fixed.done_per_s);
  }
  auto adaptive = b.once("adaptive", 4s, 3s);
  INFO("adaptive: " << describe(adaptive) << "; best fixed " << best << " records/s");
  CHECK(adaptive.done_per_s >= 0.9 * best);
  CHECK(adaptive.rejected_fraction() < 0.01);
  CHECK(adaptive.limit_min >= 1);
}

}  // namespace

TEST_CASE("adaptive concurrency on a server with 2 slots that queues beyond them", "[adaptive][slow]") {
  adaptive_matches_best_fixed(2, false);
}
TEST_CASE("adaptive concurrency on a server with 8 slots that queues beyond them", "[adaptive][slow]") {
  adaptive_matches_best_fixed(8, false);
}
TEST_CASE("adaptive concurrency on a server with 32 slots that queues beyond them", "[adaptive][slow]") {
  adaptive_matches_best_fixed(32, false);
}
TEST_CASE("adaptive concurrency on a server with 2 slots that answers 429 beyond them", "[adaptive][slow]") {
  adaptive_matches_best_fixed(2, true);
}
TEST_CASE("adaptive concurrency on a server with 8 slots that answers 429 beyond them", "[adaptive][slow]") {
  adaptive_matches_best_fixed(8, true);
}
TEST_CASE("adaptive concurrency on a server with 32 slots that answers 429 beyond them", "[adaptive][slow]") {
  adaptive_matches_best_fixed(32, true);
}

namespace {

// K goes 32 -> 4 -> 32 while the pipeline runs. The reference for each level is a fixed run at
// exactly that K, measured in the same test.
void follows_capacity(bool reject) {
  Bench b(32, reject, latency_for(32));
  INFO("beyond K: " << (reject ? "429 + Retry-After" : "queue"));
  const double best32 = b.once("32", 1s, 2s).done_per_s;
  b.fake.set_slots(4);
  const double best4 = b.once("4", 1s, 2s).done_per_s;
  b.fake.set_slots(32);
  auto run = flowrun::testing::run_load_checked(enrich_pipeline(b.fake.url(), "adaptive", 256), b.counters, b.registry, &b.fake,
                      {Phase{{}, 4s, 2s},
                       Phase{[&] { b.fake.set_slots(4); }, 4s, 2s},
                       Phase{[&] { b.fake.set_slots(32); }, 6s, 2s}});
  const auto& high = run.phases[0];
  const auto& low = run.phases[1];
  const auto& again = run.phases[2];
  INFO("fixed 32 at K=32: " << best32 << "/s; fixed 4 at K=4: " << best4 << "/s");
  INFO("adaptive at 32: " << describe(high) << "; at 4: " << describe(low) << " (median " << low.limit_median()
                          << "); at 32 again: " << describe(again));
  CHECK(high.done_per_s >= 0.9 * best32);
  CHECK(low.done_per_s >= 0.9 * best4);
  // Came down to the new capacity (a queueing server is let queue up to about 1.5x K).
  CHECK(low.limit_median() <= (reject ? 4 : 8));
  CHECK(low.limit_max <= (reject ? 5 : 12));
  CHECK(low.rejected_fraction() < 0.01);
  CHECK(again.done_per_s >= 0.9 * best32);
  CHECK(again.limit_max >= 28);  // and went back up
  CHECK(again.rejected_fraction() < 0.01);
}

}  // namespace

TEST_CASE("adaptive concurrency follows a server that queues from 32 slots to 4 and back", "[adaptive][slow]") {
  follows_capacity(false);
}
TEST_CASE("adaptive concurrency follows a server that answers 429 from 32 slots to 4 and back", "[adaptive][slow]") {
  follows_capacity(true);
}

TEST_CASE("two LLM nodes on one server share one adaptive limit", "[adaptive][slow]") {
  Bench b(8, true, latency_for(8));
  const double best = b.once("8", 1s, 2s).done_per_s;
  const std::string yaml =
      "name: shared\nresources:\n  concurrency:\n    llm_box: {min: 1, max: 64, initial: 2}\nnodes:\n"
      "  src: {type: load_source}\n"
      "  enrich_a: {type: llm_enricher, inputs: [src], concurrency: {adaptive: llm_box}, buffer: 256, cache: false, "
      "base_url: \"" + b.fake.url() + "\"}\n"
      "  enrich_b: {type: llm_enricher, inputs: [src], concurrency: {adaptive: llm_box}, buffer: 256, cache: false, "
      "task: extract, fields: [address.street], base_url: \"" + b.fake.url() + "\"}\n"
      "  sink: {type: load_sink, inputs: [enrich_a, enrich_b, enrich_a.errors, enrich_b.errors]}\n";
  auto run = flowrun::testing::run_load_checked(yaml, b.counters, b.registry, &b.fake, {Phase{{}, 4s, 3s}}, "enrich_a");
  const auto& p = run.phases.front();
  INFO("shared: " << describe(p) << "; one node at fixed 8: " << best << "/s");
  CHECK(p.done_per_s >= 0.9 * best);  // both nodes together use the server's 8 slots
  CHECK(p.rejected_fraction() < 0.01);
  REQUIRE(run.summary.resources.contains("llm_box"));
  const auto& res = run.summary.resources.at("llm_box").as_object();
  CHECK(res.at("kind").as_string() == "concurrency");
  CHECK(res.at("peak_in_flight").as_int64() <= 16);
  for (const auto& n : run.summary.nodes)
    if (n.id == "enrich_a" || n.id == "enrich_b") {
      REQUIRE(n.adaptive);
      CHECK(n.adaptive->name == "llm_box");
    }
}

TEST_CASE("a rate limit is a ceiling the adaptive limit neither pushes against nor counts as latency",
          "[adaptive][slow]") {
  Bench b(0, false, 20ms);  // unlimited slots: only the rate limit holds requests back
  // 50 requests a second at 20 ms each keep about one in flight once the rate limit holds. Its
  // first burst (25 requests) is free and really reaches the server at once, so the limit may
  // grow on that evidence while the burst lasts (slow start doubles a limit whose window had 3/4
  // of it at the server). After that, requests wait for the rate limit: a limit that holds
  // nothing back must not climb, and the waits (up to half a second) must not look like a slow
  // server, so it must not shrink either: while measured, it does not move at all.
  const std::string yaml =
      "name: rated\nresources:\n  rate_limits:\n    llm: {count: 25, per: 500ms}\nnodes:\n"
      "  src: {type: load_source}\n"
      "  enrich: {type: llm_enricher, inputs: [src], concurrency: {adaptive: true, initial: 8}, buffer: 64, "
      "cache: false, rate_limit: llm, base_url: \"" + b.fake.url() + "\"}\n"
      "  sink: {type: load_sink, inputs: [enrich, enrich.errors]}\n";
  auto run = flowrun::testing::run_load_checked(yaml, b.counters, b.registry, &b.fake, {Phase{{}, 1500ms, 3s}});
  const auto& p = run.phases.front();
  INFO(describe(p) << "; most at the server at once: " << b.fake.max_in_flight());
  CHECK(p.limit_min >= 8);
  CHECK(p.limit_min == p.limit_max);
  CHECK(b.fake.max_in_flight() <= 25);  // the burst, no more
  CHECK(b.fake.max_in_flight() <= p.limit_max);
  CHECK(p.done_per_s <= 55);
  CHECK(p.done_per_s >= 40);
}

TEST_CASE("an open breaker does not shrink the adaptive limit to nothing for good", "[adaptive][slow]") {
  Bench b(8, false, latency_for(8));
  const std::string yaml =
      "name: broken\nresources:\n  breakers:\n    llm: {failures: 3, open_for: 300ms}\nnodes:\n"
      "  src: {type: load_source}\n"
      "  enrich: {type: llm_enricher, inputs: [src], concurrency: adaptive, buffer: 256, cache: false, "
      "breaker: llm, retries: 0, base_url: \"" + b.fake.url() + "\"}\n"
      "  sink: {type: load_sink, inputs: [enrich, enrich.errors]}\n";
  auto run = flowrun::testing::run_load_checked(yaml, b.counters, b.registry, &b.fake,
                      {Phase{{}, 4s, 2s},
                       // The server answers 503 for 1.5 s: the breaker trips, records pass through
                       // unenriched, and the limit is cut on the 503s it did see.
                       Phase{[&] { b.fake.set_failure(FakeLlmServer::Failure::queue_full); }, 1500ms, 0ms},
                       Phase{[&] { b.fake.clear_failure(); }, 3s, 2s}});
  const auto& before = run.phases[0];
  const auto& after = run.phases[2];
  INFO("before: " << describe(before) << "; after: " << describe(after));
  CHECK(after.done_per_s >= 0.9 * before.done_per_s);
  // Back near the 8 slots, not stuck where the 503s cut it. The window's lowest limit was 6-8 in
  // both phases with a CPU hog beside the test (and 6 in two full-suite runs at -j2), so 7 was a
  // bound on the machine's load, not on the limiter; a limit the breaker left shrunk sits at 1-2.
  CHECK(after.limit_min >= 5);
  bool tripped = false;
  for (const auto& [name, r] : run.summary.resources)
    if (name == "llm") tripped = r.as_object().at("trips").as_int64() > 0;
  CHECK(tripped);
}
