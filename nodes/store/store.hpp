// The pipeline's memory: one small interface, two implementations (SQLite embedded default,
// PostgreSQL for sharing between machines). Every write is an idempotent upsert keyed by a
// canonical id, done in one transaction per batch, so a rerun or a resume after a crash never
// duplicates and never loses a committed batch. MongoDB (the old system's database) is not
// available on this machine; a third implementation only needs this interface.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flowrun {
class Registry;
}

namespace flowrun::store {

// Tells the engine which `store:` URL schemes exist and how a relative SQLite path resolves.
void register_store_schemes(Registry& registry);

// One canonical property, prepared for the store (see record_rows.hpp for how a Record becomes
// one). `content_hash` covers the canonical body minus volatile fields.
struct PropertyRow {
  std::string id, source, zip, body, content_hash;
  std::optional<double> price, assessed_value, full_cash_value;
  std::string enrichment_status;  // enrichment_meta.status ("" when absent): pending queue
  std::string trace_id;           // the record that writes the row (Envelope::trace_id): lineage
};

struct RawRow {
  std::string source, source_id, fetched_at, content_hash, body;
  std::string trace_id, run_id;  // lineage: the record and the run that last wrote the row
};

// One passage of a long text (a `chunker` record, nodes/transform/chunker_node.cpp), keyed by its
// parent's id and its place in it; migration 4.
struct ChunkRow {
  std::string parent_id;
  std::int64_t chunk_index = 0, chunk_count = 0;   // its place, and how many the parent's text made
  std::int64_t start_offset = 0, end_offset = 0;   // code point offsets in the parent's text
  std::string text;
  std::string fields;           // the record's other fields (those kept from the parent), canonical JSON
  std::string embedding;        // JSON array of numbers; "" when the embedder added none
  std::string embedding_model;  // "" when none
  std::string content_hash;     // covers the text, the fields and the embedding
  std::string trace_id;         // the record that writes the row (lineage)
};

struct UpsertCounts {
  std::int64_t inserted = 0, updated = 0, unchanged = 0;
  std::int64_t removed = 0;   // chunks: stale rows deleted (a parent whose text now makes fewer)
  std::vector<bool> changed;  // per input row: inserted or updated (not unchanged)
  // Counts one input row against the content hash the store holds for its key (null: no row yet);
  // true when the row is new or changed.
  bool tally(const std::string* stored, const std::string& hash) {
    const bool is_changed = !stored || *stored != hash;
    ++(!stored ? inserted : is_changed ? updated : unchanged);
    changed.push_back(is_changed);
    return is_changed;
  }
  UpsertCounts& operator+=(const UpsertCounts& o) {
    inserted += o.inserted, updated += o.updated, unchanged += o.unchanged, removed += o.removed;
    return *this;
  }
};

struct DeadLetterRow {
  std::string run_id, node, record_id, record, reason, at;
  std::string trace_id;  // the failed record's Envelope::trace_id
};

struct RunStart {
  std::string run_id, pipeline, started_at, host;
  std::int64_t pid = 0;
};

struct RunFinish {
  std::string run_id, pipeline, started_at, finished_at, status;
  std::string node_counts;  // JSON object: node -> {in, out, errors, filtered}
  std::string summary;      // RunSummary::to_json()
  double tokens = 0, cost = 0, duration_ms = 0;
  std::int64_t inserted = 0, updated = 0, unchanged = 0, dead_letters = 0;
};

using Row = std::vector<std::optional<std::string>>;

// What changed_filter needs of a stored property: is its content the same, and does its LLM
// enrichment still wait (`pending`, tried `enrichment_attempts` runs so far)?
struct StoredState {
  std::string content_hash, enrichment_status;
  std::int64_t enrichment_attempts = 0;
};

// What an existing `properties` row looks like to the upsert planner.
struct Existing {
  std::string content_hash, enrichment_status;
  std::optional<double> price, assessed_value, full_cash_value;
};

// All methods are thread-safe (one connection per Store, calls serialised): nodes on several I/O
// threads share one Store per URL per run.
class Store {
 public:
  virtual ~Store() = default;

  // `sqlite:path/to.db` (relative to the CWD, see sqlite_path_of; folders created), `sqlite:///abs/path.db`,
  // `sqlite::memory:`, or `postgresql://...` / `postgres://...` (libpq URL). Applies pending
  // schema migrations. Throws std::runtime_error naming the URL (password redacted).
  static std::unique_ptr<Store> open(const std::string& url);

  virtual std::string kind() const = 0;  // "sqlite" | "postgresql"
  virtual int schema_version() = 0;

  // One transaction. Unchanged content hash -> `unchanged` (last_seen updated, no history row);
  // a new id -> `inserted`; otherwise `updated`. Every row written or touched takes the
  // PropertyRow's trace_id as last_trace_id, beside last_run_id. `enrichment_attempts` counts the runs that stored
  // the same content with enrichment `pending` (1 on the first; 0 once it is done). A property_history row is written when price,
  // assessed_value or full_cash_value differ from the stored ones (and for the first sighting).
  // touch_unchanged = false: unchanged rows are only counted, not written (no last_seen update).
  virtual UpsertCounts upsert_properties(const std::vector<PropertyRow>& rows,
                                         const std::string& run_id, const std::string& now,
                                         bool touch_unchanged = true) = 0;
  virtual UpsertCounts upsert_raw(const std::vector<RawRow>& rows, bool touch_unchanged = true) = 0;
  // One transaction. Each row replaces the chunk stored at (parent_id, chunk_index): a new key ->
  // `inserted`, the same content hash -> `unchanged`, else `updated`; the same key twice counts as
  // two writes in order, and the later one is stored. Written rows take `now` as stored_at, `run_id`
  // and their trace id. Then, for each parent in the batch, the stored chunks at or past the
  // chunk_count of its last row are deleted (`removed`): a parent whose text now makes fewer chunks
  // keeps no stale ones. touch_unchanged = false: unchanged rows are only counted.
  virtual UpsertCounts upsert_chunks(const std::vector<ChunkRow>& rows, const std::string& run_id,
                                     const std::string& now, bool touch_unchanged = true) = 0;

  // Stored content hash per id (nullopt when absent).
  virtual std::vector<std::optional<std::string>> content_hashes(const std::vector<std::string>& ids) = 0;
  // Stored hash and enrichment state per id (nullopt when absent).
  virtual std::vector<std::optional<StoredState>> stored_states(const std::vector<std::string>& ids) = 0;
  // Marks ids as seen in this run without changing them (changed_filter's unchanged records);
  // `trace_ids` (parallel to ids, or empty) become the rows' last_trace_id.
  virtual void touch(const std::vector<std::string>& ids, const std::string& run_id,
                     const std::string& now, const std::vector<std::string>& trace_ids = {}) = 0;

  virtual void add_dead_letters(const std::vector<DeadLetterRow>& rows) = 0;

  virtual void run_started(const RunStart& r) = 0;
  virtual void run_finished(const RunFinish& r) = 0;  // upsert: works without run_started too
  // Runs still `running` whose process is gone (killed): status becomes `crashed`.
  virtual int mark_crashed_runs(const std::string& host) = 0;

  virtual std::optional<std::string> cache_get(const std::string& key, std::int64_t now_epoch) = 0;
  // `trace_id`, `run_id`: the record and run whose answer this is (lineage; "" when unknown).
  virtual void cache_put(const std::string& key, const std::string& model, const std::string& value,
                         const std::string& created_at, std::int64_t expires_epoch /*0: never*/,
                         const std::string& trace_id = "", const std::string& run_id = "") = 0;

  // Read-only SQL that both dialects understand (reports); `?` placeholders. Values as text.
  virtual std::vector<Row> query(const std::string& sql, const std::vector<std::string>& params = {}) = 0;
  // One writing statement that both dialects understand (upkeep: prune), in its own transaction;
  // `?` placeholders. Returns the number of rows it changed.
  virtual std::int64_t execute(const std::string& sql, const std::vector<std::string>& params = {}) = 0;
};

// The file a `sqlite:` URL names ("" for any other URL); `sqlite::memory:` gives ":memory:".
// The one place a store URL becomes a path, so that Store::open and `flowrun backup` agree.
std::string sqlite_path_of(const std::string& url);

// A store URL made independent of the working directory (a relative SQLite path resolves from
// `base_dir`); sets `why` when the scheme is not supported or the URL names nothing.
std::string resolve_store_url(const std::string& url, const std::string& base_dir, std::string& why);

// The redacted form of a URL for messages (password removed).
std::string redact_url(const std::string& url);

}  // namespace flowrun::store
