// Upkeep at the end of a run: a pipeline's `retention:` (per table durations) prunes its store
// once the run is over, so a daily pipeline keeps its store from growing forever.
#pragma once
#include "engine/registry.hpp"

namespace flowrun::store {

// Registered by register_store_nodes() after the run ledger, so the ledger already holds the
// finished run when the prune starts. Prunes the pipeline's store (setting "store") once per run,
// after runs that got going and were not interrupted; counts what went as run counters
// "store.pruned.<table>" (summary, ledger, metrics). A failed prune is a warning in the summary:
// it never fails a run whose data is written.
RunObserver retention_observer();

}  // namespace flowrun::store
