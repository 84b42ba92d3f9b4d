#include "nodes/store/maintenance.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

#include "engine/context.hpp"
#include "engine/metrics.hpp"
#include "nodes/store/prune.hpp"
#include "nodes/store/shared_store.hpp"

namespace flowrun::store {

RunObserver retention_observer() {
  RunObserver o;
  o.on_finish = [](RunContext& ctx, const RunSummary& s) {
    // exit 2: the run never started (a node could not open); an interrupted run was asked to stop.
    if (s.status == "interrupted" || s.exit_code == 2) return;
    // Observers may hear of a run twice (after_run hooks counted something): prune once.
    auto done = ctx.shared<std::atomic<bool>>("store.retention.done",
                                              [] { return std::make_shared<std::atomic<bool>>(false); });
    const std::string url = ctx.setting("store");
    try {
      auto rules = retention_rules([&ctx](const std::string& key) { return ctx.setting(key); });
      if (rules.empty() || done->exchange(true)) return;
      if (url.empty()) return ctx.warn("retention: the pipeline has no store: (or --store) to prune");
      for (const auto& c : prune_store(*shared_store(ctx, url), rules)) {
        ctx.add_counter("store.pruned." + c.table, static_cast<double>(c.removed));
        spdlog::info("retention: {} rows of {} older than {} removed, {} left", c.removed, c.table,
                     c.cutoff, c.left);
      }
    } catch (const std::exception& e) {
      ctx.warn("retention: cannot prune " + redact_url(url) + ": " + e.what());
    }
  };
  return o;
}

}  // namespace flowrun::store
