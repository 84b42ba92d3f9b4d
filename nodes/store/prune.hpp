// Retention: deletes rows older than a given age from the tables that only grow (the run ledger,
// dead letters, raw records, the LLM cache and, when asked, price history), in small batches so
// that a run writing at the same time is never blocked for long. `properties` (the current state)
// is never touched. Shared SQL, so SQLite and PostgreSQL behave alike.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nodes/store/store.hpp"

namespace flowrun::store {

// The tables prune may thin, in the order it reports them: runs, dead_letters, raw_records,
// llm_cache, property_history, crawl_items, crawl_pages. (engine/spec.cpp accepts the same names
// under `retention:`.)
const std::vector<std::string>& prunable_tables();

struct PruneRule {
  std::string table;                     // one of prunable_tables()
  std::chrono::milliseconds older_than;  // rows older than now - older_than go
};

struct PruneOptions {
  bool dry_run = false;  // count what would go, delete nothing
  std::int64_t batch_size = 5000;  // rows per DELETE (each its own transaction)
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

struct PruneCount {
  std::string table, cutoff;  // cutoff: ISO 8601 UTC; rows stamped before it went
  std::int64_t removed = 0;   // or, in a dry run, would be removed
  std::int64_t left = 0;      // rows in the table afterwards
};

// Applies each rule in turn. What counts as a row's age, and what is always kept:
// - runs: started_at (finished_at when missing); a run still `running` is never removed;
// - dead_letters: at; raw_records: fetched_at (refreshed whenever a source returns the record);
// - llm_cache: created_at;
// - property_history: seen_at, but each property's latest history row is kept (it says since
//   when the current values hold);
// - crawl_items (fetched answers a resumed crawl serves again): fetched_at; crawl_pages: those of
//   a crawl no run can resume any more (superseded, or finished before the cutoff).
// Throws std::runtime_error (naming the table) when the store refuses; batches already deleted
// stay deleted, and a rerun carries on.
std::vector<PruneCount> prune_store(Store& store, const std::vector<PruneRule>& rules,
                                    const PruneOptions& opts = {});

// The pipeline's `retention:` as rules, from the run settings "retention.<table>" = duration
// (engine/spec.cpp puts them there); `setting` returns "" for a key that is not set. Throws
// std::invalid_argument naming the key when a duration cannot be read.
std::vector<PruneRule> retention_rules(const std::function<std::string(const std::string&)>& setting);

}  // namespace flowrun::store
