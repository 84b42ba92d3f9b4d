// Decides, for one batch, which properties are new, changed or unchanged and which history rows
// to write. Pure logic shared by both stores, so SQLite and PostgreSQL count exactly alike.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "nodes/store/store.hpp"

namespace flowrun::store {

enum class Change { inserted, updated, unchanged };

struct PlannedRow {
  const PropertyRow* row = nullptr;  // the data to write (latest occurrence in the batch)
  Change change = Change::unchanged;
  // Unchanged content but the incoming body is better (enrichment done where the stored one was
  // not, or pending tried again): the body is replaced, the row still counts as unchanged.
  bool replace_body = false;
};

struct HistoryRow {
  const PropertyRow* row = nullptr;  // id and values
};

struct UpsertPlan {
  std::vector<PlannedRow> rows;  // one per distinct id, in first-seen order
  std::vector<HistoryRow> history;
  UpsertCounts counts;           // one count per input row (duplicates in a batch count too)
};

// `existing`: the stored state of the ids in `rows` that are already in the store.
UpsertPlan plan_upsert(const std::vector<PropertyRow>& rows,
                       const std::map<std::string, Existing>& existing);

}  // namespace flowrun::store
