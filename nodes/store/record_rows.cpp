#include "nodes/store/record_rows.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "engine/json_text.hpp"
#include "engine/node.hpp"

namespace flowrun::store {

namespace json = boost::json;

const std::vector<std::string>& default_hash_exclude() {
  // What later nodes derive (enrichment, the validator's score and warnings) is left out too, so
  // a changed_filter placed before them sees the same hash that the store wrote after them.
  static const std::vector<std::string> v = {"collected_at", "fetched_at", "enrichment", "enrichment_meta",
                                             "embedding", "embedding_model", "quality", "quality_score",
                                             "warnings", "validation"};
  return v;
}

// Keys sorted, so equal records give equal text. The content hash's input keeps Boost.JSON's number
// form on purpose: changing it would change every stored hash, and the next run would see every
// record as changed (and pay the LLM again). Stored bodies are read by people: readable numbers.
static void write_canonical(const json::value& v, std::string& out, bool hash_form) {
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      std::vector<const json::key_value_pair*> kv;
      kv.reserve(o.size());
      for (const auto& p : o) kv.push_back(&p);
      std::sort(kv.begin(), kv.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
      out += '{';
      for (std::size_t i = 0; i < kv.size(); ++i) {
        if (i) out += ',';
        if (hash_form) out += json::serialize(json::string_view(kv[i]->key()));
        else append_json_string(out, kv[i]->key());
        out += ':';
        write_canonical(kv[i]->value(), out, hash_form);
      }
      out += '}';
      break;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_canonical(e, out, hash_form);
      }
      out += ']';
      break;
    }
    default:
      if (hash_form) out += json::serialize(v);
      else append_json(out, v);
  }
}

std::string canonical_json(const json::value& v) {
  std::string out;
  write_canonical(v, out, true);
  return out;
}

std::string canonical_body(const json::value& v) {
  std::string out;
  write_canonical(v, out, false);
  return out;
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr))
    throw std::runtime_error("SHA-256 failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string content_hash(const json::object& data, const std::vector<std::string>& exclude) {
  json::object copy;
  for (const auto& kv : data)
    if (std::find(exclude.begin(), exclude.end(), std::string(kv.key())) == exclude.end())
      copy.emplace(kv.key(), kv.value());
  return sha256_hex(canonical_json(copy));
}

static std::string text_of(const json::value* v) {
  if (!v) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  if (v->is_null()) return "";
  return to_json_text(*v);
}

static std::optional<double> number_of(const json::value* v) {
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_string()) {
    try {
      std::size_t used = 0;
      double d = std::stod(std::string(v->get_string()), &used);
      if (used == v->get_string().size()) return d;
    } catch (...) {
    }
  }
  return std::nullopt;
}

std::string property_id(const Record& r) {
  std::string id = text_of(r.data.if_contains("id"));
  if (id.empty())
    throw RecordError("id", "required",
                      "record " + r.env.source + ":" + r.env.source_id +
                          " has no `id`; the store keys properties by their canonical id");
  return id;
}

PropertyRow to_property_row(const Record& r, const std::vector<std::string>& exclude) {
  PropertyRow row;
  row.id = property_id(r);
  row.source = text_of(r.data.if_contains("source"));
  if (row.source.empty()) row.source = r.env.source;
  if (auto* a = r.data.if_contains("address"); a && a->is_object())
    row.zip = text_of(a->get_object().if_contains("zip"));
  if (row.zip.empty()) row.zip = text_of(r.data.if_contains("zip"));
  row.price = number_of(r.data.if_contains("price"));
  row.assessed_value = number_of(r.data.if_contains("assessed_value"));
  row.full_cash_value = number_of(r.data.if_contains("full_cash_value"));
  if (auto* m = r.data.if_contains("enrichment_meta"); m && m->is_object())
    row.enrichment_status = text_of(m->get_object().if_contains("status"));
  row.body = canonical_body(r.data);
  row.content_hash = content_hash(r.data, exclude);
  row.trace_id = r.env.trace_id;
  return row;
}

RawRow to_raw_row(const Record& r, const std::vector<std::string>& exclude, const std::string& now) {
  RawRow row;
  row.source = !r.env.source.empty() ? r.env.source : text_of(r.data.if_contains("source"));
  row.source_id = !r.env.source_id.empty() ? r.env.source_id : text_of(r.data.if_contains("source_id"));
  if (row.source_id.empty()) row.source_id = text_of(r.data.if_contains("id"));
  if (row.source.empty() || row.source_id.empty())
    throw RecordError("source_id", "required",
                      "raw record has no source/source id (envelope or `source`/`source_id` fields)");
  row.fetched_at = text_of(r.data.if_contains("fetched_at"));
  if (row.fetched_at.empty()) row.fetched_at = now;
  row.body = canonical_body(r.data);
  row.content_hash = content_hash(r.data, exclude);
  row.trace_id = r.env.trace_id;
  return row;
}

static std::string record_name(const Record& r) {
  std::string id = text_of(r.data.if_contains("id"));
  if (!id.empty()) return "record " + id;
  return "record " + r.env.source + ":" + r.env.source_id;
}

// A whole number >= 0 at chunk.<key>, or a RecordError naming chunk.<key>.
static std::int64_t chunk_number(const Record& r, const json::object& chunk, const char* key) {
  const json::value* v = chunk.if_contains(key);
  const std::string field = std::string("chunk.") + key;
  if (!v || v->is_null())
    throw RecordError(field, "required", record_name(r) + " has no `" + field + "`; chunks come from a `chunker`");
  std::int64_t n = -1;
  if (v->is_int64()) n = v->get_int64();
  else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) n = static_cast<std::int64_t>(v->get_uint64());
  if (n < 0) throw RecordError(field, "type", record_name(r) + ": `" + field + "` must be a whole number >= 0");
  return n;
}

ChunkRow to_chunk_row(const Record& r, const std::vector<std::string>& exclude) {
  ChunkRow row;
  row.parent_id = text_of(r.data.if_contains("parent_id"));
  if (row.parent_id.empty())
    throw RecordError("parent_id", "required",
                      record_name(r) + " has no `parent_id`; the store keys chunks by their parent's id and "
                                       "position (make them with a `chunker`)");
  const json::value* c = r.data.if_contains("chunk");
  if (!c || !c->is_object())
    throw RecordError("chunk", c ? "type" : "required",
                      record_name(r) + ": `chunk` must be an object {index, count, start, end, text} (a `chunker`'s)");
  const auto& chunk = c->get_object();
  row.chunk_index = chunk_number(r, chunk, "index");
  row.chunk_count = chunk_number(r, chunk, "count");
  row.start_offset = chunk_number(r, chunk, "start");
  row.end_offset = chunk_number(r, chunk, "end");
  if (row.chunk_index >= row.chunk_count)
    throw RecordError("chunk.index", "range",
                      record_name(r) + ": chunk index " + std::to_string(row.chunk_index) + " is not below its count " +
                          std::to_string(row.chunk_count));
  if (row.end_offset < row.start_offset)
    throw RecordError("chunk.end", "range", record_name(r) + ": chunk end " + std::to_string(row.end_offset) +
                                                " is before its start " + std::to_string(row.start_offset));
  const json::value* t = chunk.if_contains("text");
  if (!t || !t->is_string())
    throw RecordError("chunk.text", t ? "type" : "required", record_name(r) + ": `chunk.text` must be a string");
  row.text = std::string(t->get_string());
  if (const json::value* e = r.data.if_contains("embedding"); e && !e->is_null()) {
    bool numbers = e->is_array();
    if (numbers)
      for (const auto& x : e->get_array()) numbers = numbers && x.is_number();
    if (!numbers) throw RecordError("embedding", "type", record_name(r) + ": `embedding` must be an array of numbers");
    // Every element as a double: a vector read back from the LLM cache holds 0 or 1 as whole
    // numbers where the server's reply had 0.0 or 1.0, and must store (and hash) the same.
    row.embedding = "[";
    for (const auto& x : e->get_array()) {
      if (row.embedding.size() > 1) row.embedding += ',';
      append_number(row.embedding, x.to_number<double>());
    }
    row.embedding += ']';
  }
  row.embedding_model = text_of(r.data.if_contains("embedding_model"));
  json::object fields;
  for (const auto& kv : r.data)
    if (kv.key() != "id" && kv.key() != "parent_id" && kv.key() != "chunk" && kv.key() != "embedding" &&
        kv.key() != "embedding_model")
      fields.emplace(kv.key(), kv.value());
  row.fields = canonical_body(fields);
  std::vector<std::string> hash_exclude = exclude;
  hash_exclude.insert(hash_exclude.end(), {"embedding", "embedding_model"});
  row.content_hash = sha256_hex(content_hash(r.data, hash_exclude) + "\n" + row.embedding + "\n" + row.embedding_model);
  row.trace_id = r.env.trace_id;
  return row;
}

std::string iso_now() { return iso_utc(std::chrono::system_clock::now()); }

std::string iso_utc(std::chrono::system_clock::time_point now) {
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::int64_t epoch_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace flowrun::store
