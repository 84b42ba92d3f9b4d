// Turning a pipeline Record into store rows: canonical JSON (sorted keys, so the same content
// always hashes the same), a SHA-256 content hash that ignores volatile fields, and the columns
// the store indexes (source, zip, prices, enrichment status).
#pragma once
#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "engine/record.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::store {

// Top-level fields left out of the content hash: they change on every run (timestamps) or are
// added downstream of the change filter (LLM enrichment), so they must not make a record "changed".
const std::vector<std::string>& default_hash_exclude();

// JSON with object keys sorted recursively, no whitespace.
std::string canonical_json(const boost::json::value& v);
// The same with readable numbers (`344.16`, not `3.4416E2`): what stored bodies hold.
std::string canonical_body(const boost::json::value& v);
std::string sha256_hex(const std::string& data);
// SHA-256 of the canonical JSON of `data` without the top-level keys in `exclude`.
std::string content_hash(const boost::json::object& data, const std::vector<std::string>& exclude);

// Throws RecordError("id", "required", ...) when the record has no usable `id`.
std::string property_id(const Record& r);
PropertyRow to_property_row(const Record& r, const std::vector<std::string>& exclude);
RawRow to_raw_row(const Record& r, const std::vector<std::string>& exclude, const std::string& now);
// A `chunker` record (`parent_id`, `chunk {index, count, start, end, text}`, optionally `embedding`
// and `embedding_model` from the embedder) as a chunks row. The content hash leaves out the
// `exclude` fields except `embedding` and `embedding_model`: a vector that arrives or changes
// updates the row. Throws RecordError naming the field when the record is not a chunk.
ChunkRow to_chunk_row(const Record& r, const std::vector<std::string>& exclude);

// ISO 8601 UTC with milliseconds ("2026-11-23T09:30:00.123Z"); sorts as text in both stores.
std::string iso_now();
std::string iso_utc(std::chrono::system_clock::time_point t);
std::int64_t epoch_now();

}  // namespace flowrun::store
