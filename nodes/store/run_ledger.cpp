#include "nodes/store/run_ledger.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "engine/json_text.hpp"
#include "engine/context.hpp"
#include "nodes/store/record_rows.hpp"
#include "nodes/store/shared_store.hpp"

namespace flowrun::store {

namespace json = boost::json;

static std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

static double counter(const RunSummary& s, const char* name) {
  auto it = s.counters.find(name);
  return it == s.counters.end() ? 0 : it->second;
}

RunFinish run_finish_from(const RunSummary& s) {
  RunFinish f;
  f.run_id = s.run_id;
  f.pipeline = s.pipeline;
  f.started_at = s.started_at;
  f.finished_at = s.finished_at.empty() ? iso_now() : s.finished_at;
  f.status = s.status.empty() ? "failed" : s.status;
  f.duration_ms = s.duration_ms;
  json::object nodes;
  for (const auto& n : s.nodes)
    nodes[n.id] = json::object{{"type", n.type}, {"in", n.in},         {"out", n.out},
                               {"errors", n.errors}, {"filtered", n.filtered}, {"p50_ms", n.p50_ms},
                               {"p95_ms", n.p95_ms}};
  f.node_counts = to_json_text(nodes);
  f.summary = to_json_text(s.to_json());
  f.tokens = counter(s, "llm.tokens");
  f.cost = counter(s, "llm.cost");
  f.inserted = static_cast<std::int64_t>(counter(s, "store.inserted"));
  f.updated = static_cast<std::int64_t>(counter(s, "store.updated"));
  f.unchanged = static_cast<std::int64_t>(counter(s, "store.unchanged"));
  f.dead_letters = s.dead_letters;
  return f;
}

RunObserver run_ledger_observer() {
  RunObserver o;
  // Ledger failures are logged, never fatal: losing the ledger row must not lose the run's data.
  o.on_start = [](RunContext& ctx) {
    const std::string url = ctx.setting("store");
    if (url.empty()) return;
    try {
      auto store = shared_store(ctx, url);
      const std::string host = hostname();
      if (int n = store->mark_crashed_runs(host))
        spdlog::warn("run ledger: {} earlier run(s) on {} died without finishing; marked crashed", n, host);
      store->run_started({ctx.run_id(), ctx.pipeline_name(), iso_now(), host,
                          static_cast<std::int64_t>(getpid())});
    } catch (const std::exception& e) {
      spdlog::warn("run ledger: cannot record the start of run {}: {}", ctx.run_id(), e.what());
    }
  };
  o.on_finish = [](RunContext& ctx, const RunSummary& s) {
    const std::string url = ctx.setting("store");
    if (!url.empty()) {
      try {
        shared_store(ctx, url)->run_finished(run_finish_from(s));
      } catch (const std::exception& e) {
        spdlog::warn("run ledger: cannot record the end of run {}: {}", s.run_id, e.what());
      }
    }
  };
  return o;
}

}  // namespace flowrun::store
