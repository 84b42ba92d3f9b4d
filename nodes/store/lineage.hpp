// One record's lineage in the store: the rows that carry its trace id (schema migration 3) and
// the run they came from. What `flowrun trace ID` prints; both dialects answer the same SQL.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "nodes/store/store.hpp"

namespace flowrun::store {

struct LineageRow {
  std::string table;  // properties | property_history | raw_records | dead_letters | llm_cache | chunks
  std::string key;    // the row's own key (property id, source/source_id, cache key, record id,
                      // parent id#chunk index)
  std::string run_id, at;  // the run that wrote it, and when
  std::string detail;      // properties: last_status; dead letters: "node: reason"; cache: model;
                           // chunks: "chunk I of N"
  std::string record;      // dead letters: the stored record JSON (its env and meta.error)
};

struct Lineage {
  std::string trace_id, run_id;  // run_id: from the trace id ("<run id>-<n>") or the rows
  std::string run_status;        // from the run ledger ("" when the run is not recorded)
  std::vector<LineageRow> rows;
};

// The trace id's rows in every lineage-carrying table. Throws on a store error.
Lineage lineage_of(Store& store, const std::string& trace_id);

}  // namespace flowrun::store
