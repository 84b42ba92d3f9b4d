// The run ledger: every run, including failed and interrupted ones, gets its `runs` row (status
// `running` at start, the RunSummary at the end; a run killed outright is marked `crashed` by the
// next run on the same host).
#pragma once
#include "engine/metrics.hpp"
#include "engine/registry.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::store {

RunObserver run_ledger_observer();

// The ledger row made from a summary (tokens, cost, store counters, per-node counts).
RunFinish run_finish_from(const RunSummary& s);

}  // namespace flowrun::store
