#include "nodes/store/schema.hpp"

namespace flowrun::store {

// Timestamps are ISO 8601 UTC text in both dialects, so the report SQL is shared and sorts right.
// `pending_enrichment` is the queue of properties whose LLM enrichment is still to do
// (enrichment_meta.status = "pending"); the column is indexed so the view stays cheap.
// `enrichment_attempts` (2) counts the runs that stored a record still pending, so changed_filter
// can stop retrying after `pending_attempts`.
// Lineage (3): every row names the record (Envelope::trace_id, "<run id>-<n>") and the run that last
// wrote it, so `flowrun trace ID` finds a record's rows; trace ids are indexed for that lookup.
// Chunks (4): the `chunker`'s passages of a long text, keyed by their parent's id and their place
// in it, with the embedding when the embedder added one (a JSON array as text in both dialects,
// so that one SQL text creates the table; cast it in PostgreSQL: `embedding::jsonb`).

// Migration 3 is plain SQL both dialects run alike.
constexpr const char* kLineageSql = R"SQL(
ALTER TABLE properties ADD COLUMN last_trace_id TEXT;
CREATE INDEX properties_trace ON properties (last_trace_id);
ALTER TABLE property_history ADD COLUMN trace_id TEXT;
ALTER TABLE raw_records ADD COLUMN trace_id TEXT;
ALTER TABLE raw_records ADD COLUMN run_id TEXT;
CREATE INDEX raw_records_trace ON raw_records (trace_id);
ALTER TABLE dead_letters ADD COLUMN trace_id TEXT;
CREATE INDEX dead_letters_trace ON dead_letters (trace_id);
ALTER TABLE llm_cache ADD COLUMN trace_id TEXT;
ALTER TABLE llm_cache ADD COLUMN run_id TEXT;
CREATE INDEX llm_cache_trace ON llm_cache (trace_id);
)SQL";

// Migration 4 is plain SQL both dialects run alike (BIGINT is an INTEGER column in SQLite).
constexpr const char* kChunksSql = R"SQL(
CREATE TABLE chunks (
  parent_id TEXT NOT NULL, chunk_index INTEGER NOT NULL, chunk_count INTEGER NOT NULL,
  start_offset BIGINT NOT NULL, end_offset BIGINT NOT NULL, text TEXT NOT NULL, fields TEXT NOT NULL,
  embedding TEXT, embedding_model TEXT, content_hash TEXT NOT NULL, stored_at TEXT NOT NULL,
  trace_id TEXT, run_id TEXT,
  PRIMARY KEY (parent_id, chunk_index));
CREATE INDEX chunks_trace ON chunks (trace_id);
)SQL";

const std::vector<Migration>& sqlite_migrations() {
  static const std::vector<Migration> m = {
      {1, "initial schema", R"SQL(
CREATE TABLE raw_records (
  source TEXT NOT NULL, source_id TEXT NOT NULL, fetched_at TEXT NOT NULL,
  content_hash TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (source, source_id));
CREATE TABLE properties (
  id TEXT PRIMARY KEY, source TEXT, zip TEXT, body TEXT NOT NULL, content_hash TEXT NOT NULL,
  price REAL, assessed_value REAL, full_cash_value REAL, enrichment_status TEXT,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, last_changed TEXT NOT NULL,
  last_run_id TEXT, last_status TEXT NOT NULL);
CREATE INDEX properties_last_run ON properties (last_run_id);
CREATE INDEX properties_zip ON properties (zip);
CREATE INDEX properties_enrichment ON properties (enrichment_status);
CREATE TABLE property_history (
  id TEXT NOT NULL, seen_at TEXT NOT NULL, run_id TEXT,
  price REAL, assessed_value REAL, full_cash_value REAL);
CREATE INDEX property_history_id ON property_history (id, seen_at);
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY, pipeline TEXT, started_at TEXT, finished_at TEXT, status TEXT NOT NULL,
  host TEXT, pid INTEGER, node_counts TEXT, tokens REAL, cost REAL, duration_ms REAL,
  inserted INTEGER, updated INTEGER, unchanged INTEGER, dead_letters INTEGER, summary TEXT);
CREATE INDEX runs_started ON runs (started_at);
CREATE TABLE dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, node TEXT, record_id TEXT, record TEXT,
  reason TEXT, at TEXT NOT NULL);
CREATE INDEX dead_letters_run ON dead_letters (run_id);
CREATE TABLE llm_cache (
  key TEXT PRIMARY KEY, model TEXT, value TEXT NOT NULL, created_at TEXT NOT NULL,
  expires_at INTEGER NOT NULL DEFAULT 0);
CREATE VIEW pending_enrichment AS
  SELECT id, source, zip, last_seen, body FROM properties WHERE enrichment_status = 'pending';
)SQL"},
      {2, "enrichment attempts", R"SQL(
ALTER TABLE properties ADD COLUMN enrichment_attempts INTEGER NOT NULL DEFAULT 0;
)SQL"},
      {3, "lineage: trace and run ids on every row", kLineageSql},
      {4, "chunks of long texts, linked to their parent", kChunksSql},
  };
  return m;
}

const std::vector<Migration>& postgres_migrations() {
  static const std::vector<Migration> m = {
      {1, "initial schema", R"SQL(
CREATE TABLE raw_records (
  source TEXT NOT NULL, source_id TEXT NOT NULL, fetched_at TEXT NOT NULL,
  content_hash TEXT NOT NULL, body JSONB NOT NULL,
  PRIMARY KEY (source, source_id));
CREATE TABLE properties (
  id TEXT PRIMARY KEY, source TEXT, zip TEXT, body JSONB NOT NULL, content_hash TEXT NOT NULL,
  price DOUBLE PRECISION, assessed_value DOUBLE PRECISION, full_cash_value DOUBLE PRECISION,
  enrichment_status TEXT,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, last_changed TEXT NOT NULL,
  last_run_id TEXT, last_status TEXT NOT NULL);
CREATE INDEX properties_last_run ON properties (last_run_id);
CREATE INDEX properties_zip ON properties (zip);
CREATE INDEX properties_enrichment ON properties (enrichment_status);
CREATE TABLE property_history (
  id TEXT NOT NULL, seen_at TEXT NOT NULL, run_id TEXT,
  price DOUBLE PRECISION, assessed_value DOUBLE PRECISION, full_cash_value DOUBLE PRECISION);
CREATE INDEX property_history_id ON property_history (id, seen_at);
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY, pipeline TEXT, started_at TEXT, finished_at TEXT, status TEXT NOT NULL,
  host TEXT, pid BIGINT, node_counts JSONB, tokens DOUBLE PRECISION, cost DOUBLE PRECISION,
  duration_ms DOUBLE PRECISION, inserted BIGINT, updated BIGINT, unchanged BIGINT,
  dead_letters BIGINT, summary JSONB);
CREATE INDEX runs_started ON runs (started_at);
CREATE TABLE dead_letters (
  id BIGSERIAL PRIMARY KEY, run_id TEXT, node TEXT, record_id TEXT, record JSONB,
  reason TEXT, at TEXT NOT NULL);
CREATE INDEX dead_letters_run ON dead_letters (run_id);
CREATE TABLE llm_cache (
  key TEXT PRIMARY KEY, model TEXT, value TEXT NOT NULL, created_at TEXT NOT NULL,
  expires_at BIGINT NOT NULL DEFAULT 0);
CREATE VIEW pending_enrichment AS
  SELECT id, source, zip, last_seen, body FROM properties WHERE enrichment_status = 'pending';
)SQL"},
      {2, "enrichment attempts", R"SQL(
ALTER TABLE properties ADD COLUMN enrichment_attempts INTEGER NOT NULL DEFAULT 0;
)SQL"},
      {3, "lineage: trace and run ids on every row", kLineageSql},
      {4, "chunks of long texts, linked to their parent", kChunksSql},
  };
  return m;
}

}  // namespace flowrun::store
