#include "nodes/store/prune.hpp"

#include <algorithm>
#include <stdexcept>

#include "engine/options.hpp"
#include "nodes/store/checkpoints.hpp"
#include "nodes/store/record_rows.hpp"

namespace flowrun::store {

namespace {

// How one table is thinned. `old` selects the rows to remove from the table aliased `t`, with one
// `?` for the cutoff; `key` identifies a row (a column list, so the DELETE can match batches of
// keys with a row-value IN, which both SQLite and PostgreSQL understand).
struct TableRule {
  const char* table;
  const char* key;
  const char* old;
  bool epoch = false;  // the cutoff as epoch seconds (the crawl checkpoints' clock), not ISO text
};

const TableRule kRules[] = {
    {"runs", "run_id", "COALESCE(t.started_at, t.finished_at) < ? AND t.status <> 'running'"},
    {"dead_letters", "id", "t.at < ?"},
    {"raw_records", "source, source_id", "t.fetched_at < ?"},
    {"llm_cache", "key", "t.created_at < ?"},
    // The latest row of each property stays: it dates the values the property holds now.
    {"property_history", "id, seen_at",
     "t.seen_at < ? AND t.seen_at < (SELECT MAX(l.seen_at) FROM property_history l WHERE l.id = t.id)"},
    // Crawl checkpoints (nodes/store/checkpoints.hpp): an item fetched before the cutoff is fetched
    // again when next met, as after refresh_after; a crawl's page marks go once it is neither the
    // source's unfinished crawl nor one finished after the cutoff (no run can resume it).
    {"crawl_items", "source, item", "t.fetched_at < ?", true},
    {"crawl_pages", "source, crawl, query",
     "NOT EXISTS (SELECT 1 FROM crawl_state s WHERE s.source = t.source AND s.crawl = t.crawl AND "
     "(s.finished = 0 OR s.updated_at >= ?))",
     true},
};

const TableRule& rule_for(const std::string& table) {
  for (const auto& r : kRules)
    if (table == r.table) return r;
  throw std::invalid_argument("prune: '" + table + "' is not a table prune may thin (runs, "
                              "dead_letters, raw_records, llm_cache, property_history, crawl_items, crawl_pages)");
}

std::int64_t count_of(Store& store, const std::string& sql, const std::vector<std::string>& params) {
  auto rows = store.query(sql, params);
  return rows.empty() || !rows[0][0] ? 0 : std::stoll(*rows[0][0]);
}

PruneCount prune_table(Store& store, const TableRule& r, const std::string& cutoff,
                       const PruneOptions& opts) {
  PruneCount c{r.table, cutoff};
  const std::string table = r.table;
  try {
    if (opts.dry_run) {
      c.removed = count_of(store, "SELECT COUNT(*) FROM " + table + " t WHERE " + r.old, {cutoff});
      c.left = count_of(store, "SELECT COUNT(*) FROM " + table, {}) - c.removed;
      return c;
    }
    // Small batches, each its own transaction: a run writing meanwhile waits for one batch at most.
    const std::int64_t limit = std::max<std::int64_t>(1, opts.batch_size);
    const std::string batch = "DELETE FROM " + table + " WHERE (" + r.key + ") IN (SELECT " + r.key +
                              " FROM " + table + " t WHERE " + r.old + " LIMIT " +
                              std::to_string(limit) + ")";
    for (;;) {
      const std::int64_t n = store.execute(batch, {cutoff});
      c.removed += n;
      if (n < limit) break;
    }
    c.left = count_of(store, "SELECT COUNT(*) FROM " + table, {});
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error("prune " + table + " (after removing " + std::to_string(c.removed) +
                             " rows): " + e.what());
  }
  return c;
}

}  // namespace

const std::vector<std::string>& prunable_tables() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& r : kRules) v.emplace_back(r.table);
    return v;
  }();
  return names;
}

std::vector<PruneCount> prune_store(Store& store, const std::vector<PruneRule>& rules,
                                    const PruneOptions& opts) {
  std::vector<PruneCount> out;
  for (const auto& rule : rules) {
    const auto& r = rule_for(rule.table);
    const auto cutoff = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
        opts.now - rule.older_than);
    if (r.epoch) {
      ensure_checkpoint_tables(store);  // a store whose sources never crawled has none yet
      auto c = prune_table(store, r, std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                        cutoff.time_since_epoch()).count()), opts);
      c.cutoff = iso_utc(cutoff);
      out.push_back(std::move(c));
    } else {
      out.push_back(prune_table(store, r, iso_utc(cutoff), opts));
    }
  }
  return out;
}

std::vector<PruneRule> retention_rules(const std::function<std::string(const std::string&)>& setting) {
  std::vector<PruneRule> rules;
  for (const auto& table : prunable_tables()) {
    const std::string key = "retention." + table, text = setting(key);
    if (text.empty()) continue;
    auto age = parse_duration(text);
    if (!age || age->count() <= 0)
      throw std::invalid_argument(key + ": '" + text + "' is not a duration like 90d or 12h");
    rules.push_back({table, *age});
  }
  return rules;
}

}  // namespace flowrun::store
