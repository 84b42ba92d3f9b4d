#include "nodes/store/lineage.hpp"

namespace flowrun::store {

namespace {

struct TableQuery {
  const char* table;
  const char* sql;  // columns: key, run_id, at, detail, record
};

// Indexed lookups (properties_trace, raw_records_trace, dead_letters_trace, llm_cache_trace, chunks_trace);
// property_history has no trace index: it is searched by the ids found in properties.
constexpr TableQuery kQueries[] = {
    {"properties",
     "SELECT id, last_run_id, last_seen, last_status, NULL FROM properties WHERE last_trace_id = ?"},
    {"raw_records",
     "SELECT source || '/' || source_id, run_id, fetched_at, NULL, NULL FROM raw_records WHERE trace_id = ?"},
    {"dead_letters",
     "SELECT COALESCE(record_id, ''), run_id, at, node || ': ' || reason, CAST(record AS TEXT) FROM dead_letters "
     "WHERE trace_id = ? ORDER BY id"},
    {"llm_cache", "SELECT key, run_id, created_at, model, NULL FROM llm_cache WHERE trace_id = ?"},
    {"chunks",
     "SELECT parent_id || '#' || CAST(chunk_index AS TEXT), run_id, stored_at, "
     "'chunk ' || CAST(chunk_index AS TEXT) || ' of ' || CAST(chunk_count AS TEXT), NULL FROM chunks WHERE trace_id = ?"},
};

std::string text(const Row& r, std::size_t i) { return i < r.size() && r[i] ? *r[i] : ""; }

}  // namespace

Lineage lineage_of(Store& store, const std::string& trace_id) {
  Lineage l;
  l.trace_id = trace_id;
  std::vector<std::string> property_ids;
  for (const auto& q : kQueries)
    for (const auto& r : store.query(q.sql, {trace_id})) {
      l.rows.push_back({q.table, text(r, 0), text(r, 1), text(r, 2), text(r, 3), text(r, 4)});
      if (std::string(q.table) == "properties") property_ids.push_back(text(r, 0));
    }
  for (const auto& id : property_ids)
    for (const auto& r : store.query("SELECT id, run_id, seen_at, price FROM property_history "
                                     "WHERE id = ? AND trace_id = ? ORDER BY seen_at",
                                     {id, trace_id}))
      l.rows.push_back({"property_history", text(r, 0), text(r, 1), text(r, 2),
                        r.size() > 3 && r[3] ? "price " + *r[3] : "", ""});
  // Trace ids are "<run id>-<n>" (engine/runner.cpp); the rows say it too.
  if (auto dash = trace_id.rfind('-'); dash != std::string::npos) l.run_id = trace_id.substr(0, dash);
  for (const auto& row : l.rows)
    if (!row.run_id.empty()) {
      l.run_id = row.run_id;
      break;
    }
  if (!l.run_id.empty()) {
    auto runs = store.query("SELECT status FROM runs WHERE run_id = ?", {l.run_id});
    if (!runs.empty()) l.run_status = text(runs.front(), 0);
  }
  return l;
}

}  // namespace flowrun::store
