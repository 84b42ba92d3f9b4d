// The `store` sink, the `changed_filter` transform and the `dead_letter_store` sink.
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <mutex>

#include "engine/json_text.hpp"
#include "engine/context.hpp"
#include "engine/node_type.hpp"
#include "engine/registry.hpp"
#include "engine/yaml_util.hpp"
#include "nodes/store/maintenance.hpp"
#include "nodes/store/record_rows.hpp"
#include "nodes/store/register.hpp"
#include "nodes/store/run_ledger.hpp"
#include "nodes/store/shared_store.hpp"
#include "nodes/store/store_nodes.hpp"

namespace flowrun::store {

namespace json = boost::json;

namespace {

// Options shared by the store nodes. `url` is resolved at load (a relative SQLite path from the
// pipeline's folder) and its scheme checked there; "" means the pipeline's `store:`.
struct StoreOptions {
  std::string url;
  std::string kind = "properties";
  std::int64_t batch_size = 500;
  bool changed_only = false;
  std::vector<std::string> hash_exclude = default_hash_exclude();
};
struct ChangedFilterOptions {
  std::string url;
  std::vector<std::string> hash_exclude = default_hash_exclude();
  std::int64_t batch_size = 500;
  std::int64_t pending_attempts = 5;
};
struct DeadLetterStoreOptions {
  std::string url;
  std::int64_t batch_size = 50;
};

std::string store_url_for(const std::string& url, const std::string& node, RunContext& ctx) {
  std::string u = url.empty() ? ctx.setting("store") : url;
  if (u.empty())
    throw std::runtime_error("node '" + node + "': no store URL: set the node's `url:` or the pipeline's `store:`");
  return u;
}

// A database error as one line for the summary and the ledger.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// The reason a failed batch gives its records in dead letters and the run in its summary.
std::string write_failure(const std::string& node, const std::string& url, std::size_t n, const std::exception& e) {
  return one_line(node + ": cannot write " + std::to_string(n) + " records to " + redact_url(url) + ": " + e.what());
}

// A record leaving a failed batch for `errors`, carrying the reason its row was not written.
Record with_error(Record r, const std::string& node, const std::string& reason) {
  r.meta["error"] = json::object{{"node", node}, {"message", reason}};
  return r;
}

// ---------------------------------------------------------------------------------------------
// store: holds each record in the open batch and writes the batch in one transaction; a committed
// batch counts its records written. A batch that fails (disk full, a lock held past the busy
// timeout, a corrupt file) breaks the node: the run fails whatever `fatal:` says, the batch's
// records go to dead letters with the reason, and later batches are not tried. Every write is an
// idempotent upsert, so a batch lost to a crash is simply written again by the rerun.
class StoreSink final : public ProcessNode {
  enum class Kind { properties, raw, chunks };

 public:
  StoreSink(const StoreOptions& o, const NodeInfo& n)
      : id_(n.id),
        configured_url_(o.url),
        kind_(o.kind == "raw" ? Kind::raw : o.kind == "chunks" ? Kind::chunks : Kind::properties),
        batch_size_(static_cast<std::size_t>(o.batch_size)),
        changed_only_(o.changed_only),
        exclude_(o.hash_exclude) {}

  void open(RunContext& ctx) override {
    url_ = store_url_for(configured_url_, id_, ctx);
    store_ = shared_store(ctx, url_);
  }

  void process(Record in, RunContext& ctx, Emitter& out) override {
    // Row building (canonical JSON, SHA-256) happens here, outside the lock, on the I/O thread.
    std::optional<PropertyRow> prop;
    std::optional<RawRow> raw;
    std::optional<ChunkRow> chunk;
    if (kind_ == Kind::raw) {
      raw = to_raw_row(in, exclude_, iso_now());
      raw->run_id = ctx.run_id();
    } else if (kind_ == Kind::chunks) {
      chunk = to_chunk_row(in, exclude_);
    } else {
      prop = to_property_row(in, exclude_);
    }
    if (prop && !has_address(in)) no_address_.fetch_add(1, std::memory_order_relaxed);
    out.hold();
    Batch ready;
    {
      std::lock_guard lock(mu_);
      if (raw) buf_.raw.push_back(std::move(*raw));
      else if (chunk) buf_.chunks.push_back(std::move(*chunk));
      else buf_.props.push_back(std::move(*prop));
      buf_.records.push_back(std::move(in));
      if (buf_.size() < batch_size_) return;
      std::swap(ready, buf_);
    }
    flush(ready, ctx, out);
  }

  void close(RunContext& ctx, Emitter& out) override {
    Batch rest;
    {
      std::lock_guard lock(mu_);
      std::swap(rest, buf_);
    }
    if (rest.size()) flush(rest, ctx, out);
    if (auto n = no_address_.load(); n > 0)
      ctx.warn(id_ + ": " + std::to_string(n) +
               " records stored without an address (their id does not depend on it)");
  }

 private:
  struct Batch {
    std::vector<PropertyRow> props;
    std::vector<RawRow> raw;
    std::vector<ChunkRow> chunks;
    std::vector<Record> records;  // what the rows came from: dead-lettered if the batch fails
    std::size_t size() const { return records.size(); }
  };

  static bool has_address(const Record& r) {
    const auto* a = r.data.if_contains("address");
    return a && !a->is_null() && !(a->is_object() && a->get_object().empty()) &&
           !(a->is_string() && a->get_string().empty());
  }

  void flush(Batch& b, RunContext& ctx, Emitter& out) {
    if (failed_.load()) return release_all(b, out, failed_reason());
    UpsertCounts c;
    try {
      c = kind_ == Kind::raw      ? store_->upsert_raw(b.raw, !changed_only_)
          : kind_ == Kind::chunks ? store_->upsert_chunks(b.chunks, ctx.run_id(), iso_now(), !changed_only_)
                                  : store_->upsert_properties(b.props, ctx.run_id(), iso_now(), !changed_only_);
    } catch (const std::exception& e) {
      const std::string reason = write_failure(id_, url_, b.size(), e);
      fail(reason, out);
      return release_all(b, out, reason);
    }
    out.written(static_cast<std::int64_t>(b.size()));
    if (kind_ == Kind::chunks) {
      // Apart from the properties' counts, which the run ledger records as the run's.
      ctx.add_counter("store.chunks_inserted", static_cast<double>(c.inserted));
      ctx.add_counter("store.chunks_updated", static_cast<double>(c.updated));
      ctx.add_counter("store.chunks_unchanged", static_cast<double>(c.unchanged));
      ctx.add_counter("store.chunks_removed", static_cast<double>(c.removed));
      return;
    }
    ctx.add_counter("store.inserted", static_cast<double>(c.inserted));
    ctx.add_counter("store.updated", static_cast<double>(c.updated));
    ctx.add_counter("store.unchanged", static_cast<double>(c.unchanged));
  }

  // The first failure breaks the node (the run fails); later batches are not tried again.
  void fail(const std::string& reason, Emitter& out) {
    {
      std::lock_guard lock(mu_);
      if (failed_reason_.empty()) failed_reason_ = reason;
    }
    failed_.store(true);
    out.broken(reason);
  }
  std::string failed_reason() {
    std::lock_guard lock(mu_);
    return "not written: " + failed_reason_;
  }
  void release_all(Batch& b, Emitter& out, const std::string& reason) {
    for (auto& r : b.records) out.release("errors", with_error(std::move(r), id_, reason));
  }

  std::string id_, configured_url_;
  Kind kind_;
  std::size_t batch_size_;
  bool changed_only_;
  std::vector<std::string> exclude_;
  std::string url_;
  std::shared_ptr<Store> store_;
  std::mutex mu_;
  Batch buf_;
  std::atomic<bool> failed_{false};
  std::string failed_reason_;  // under mu_
  std::atomic<std::int64_t> no_address_{0};
};

// ---------------------------------------------------------------------------------------------
// changed_filter: passes only records whose content hash is new or different from the stored
// one, so expensive downstream work (the LLM) is skipped for unchanged records. A record whose
// stored copy still waits for its LLM enrichment (`pending`) passes again until it is enriched or
// has been tried `pending_attempts` times. Unchanged ones are filtered at once (never held) and
// marked seen in the store (last_seen, last_run_id) in batches, counted as store.unchanged,
// because the store sink downstream will never see them.
class ChangedFilter final : public ProcessNode {
 public:
  ChangedFilter(const ChangedFilterOptions& o, const NodeInfo& n)
      : id_(n.id),
        configured_url_(o.url),
        exclude_(o.hash_exclude),
        touch_batch_(static_cast<std::size_t>(o.batch_size)),
        pending_attempts_(o.pending_attempts) {}

  void open(RunContext& ctx) override {
    url_ = store_url_for(configured_url_, id_, ctx);
    store_ = shared_store(ctx, url_);
  }

  void process(Record in, RunContext& ctx, Emitter& out) override {
    const std::string id = property_id(in);
    const std::string hash = content_hash(in.data, exclude_);
    std::optional<StoredState> stored;
    try {
      stored = store_->stored_states({id}).at(0);
    } catch (const std::exception& e) {
      throw WriteError(one_line(id_ + ": cannot read " + redact_url(url_) + ": " + e.what()));
    }
    if (!stored || stored->content_hash != hash) {
      ctx.add_counter("changed_filter.passed", 1);
      out.emit(std::move(in));
      return;
    }
    if (stored->enrichment_status == "pending") {
      if (stored->enrichment_attempts < pending_attempts_) {
        ctx.add_counter("changed_filter.pending_retried", 1);
        out.emit(std::move(in));
        return;
      }
      ctx.add_counter("changed_filter.pending_given_up", 1);
    }
    ctx.add_counter("store.unchanged", 1);
    out.filtered();
    Touched ready;
    {
      std::lock_guard lock(mu_);
      touched_.ids.push_back(id);
      touched_.traces.push_back(in.env.trace_id);
      if (touched_.ids.size() < touch_batch_) return;
      std::swap(ready, touched_);
    }
    touch(ready, ctx, out);
  }

  void close(RunContext& ctx, Emitter& out) override {
    Touched rest;
    {
      std::lock_guard lock(mu_);
      std::swap(rest, touched_);
    }
    if (!rest.ids.empty()) touch(rest, ctx, out);
  }

 private:
  // Marking seen is a write: when it fails the run fails (the records stay filtered: their content
  // is stored already, only their last_seen is stale).
  struct Touched {
    std::vector<std::string> ids, traces;  // traces: the records' trace ids, parallel to ids
  };
  void touch(const Touched& t, RunContext& ctx, Emitter& out) {
    if (failed_.load()) return;
    try {
      store_->touch(t.ids, ctx.run_id(), iso_now(), t.traces);
    } catch (const std::exception& e) {
      failed_.store(true);
      out.broken(write_failure(id_, url_, t.ids.size(), e));
    }
  }

  std::string id_, configured_url_;
  std::vector<std::string> exclude_;
  std::size_t touch_batch_;
  std::int64_t pending_attempts_;
  std::string url_;
  std::shared_ptr<Store> store_;
  std::mutex mu_;
  Touched touched_;
  std::atomic<bool> failed_{false};
};

// ---------------------------------------------------------------------------------------------
// dead_letter_store: failed records with the node and reason, into `dead_letters`.
std::string text_at(const json::object& o, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (auto* v = o.if_contains(k)) {
      if (v->is_string()) return std::string(v->get_string());
      if (!v->is_null() && !v->is_object()) return to_json_text(*v);
    }
  return "";
}

}  // namespace

// Where the engine put the failure: `meta.error` (object or string) or flat meta keys.
DeadLetterRow dead_letter_row(const Record& r, const std::string& run_id, const std::string& now) {
  DeadLetterRow d;
  d.run_id = run_id;
  d.at = now;
  const json::object* err = nullptr;
  if (auto* e = r.meta.if_contains("error"); e && e->is_object()) err = &e->get_object();
  if (err) {
    d.node = text_at(*err, {"node", "failed_node"});
    d.reason = text_at(*err, {"reason", "message", "what"});
    std::string field = text_at(*err, {"field"}), rule = text_at(*err, {"rule"});
    if (!field.empty() || !rule.empty())
      d.reason = (field.empty() ? "" : field + ": ") + (rule.empty() ? "" : rule + ": ") + d.reason;
  }
  if (d.node.empty()) d.node = text_at(r.meta, {"error_node", "failed_node", "node"});
  if (d.reason.empty()) d.reason = text_at(r.meta, {"error_reason", "reason", "error"});
  if (d.node.empty()) d.node = "unknown";
  if (d.reason.empty()) d.reason = "unknown";
  d.trace_id = r.env.trace_id;
  d.record_id = text_at(r.data, {"id"});
  if (d.record_id.empty() && !r.env.source_id.empty()) d.record_id = r.env.source + ":" + r.env.source_id;
  json::object rec;
  rec["data"] = r.data;
  rec["env"] = json::object{{"source", r.env.source},
                            {"source_id", r.env.source_id},
                            {"trace_id", r.env.trace_id},
                            {"attempt", r.env.attempt}};
  rec["meta"] = r.meta;
  d.record = to_json_text(rec);
  return d;
}

namespace {

// dead_letter_store: holds each failed record until its batch commits. When the batch cannot be
// written there is no dead-letter path left: its records stay held, so the run counts them
// unwritten and fails; later batches are not tried.
class DeadLetterStore final : public ProcessNode {
 public:
  DeadLetterStore(const DeadLetterStoreOptions& o, const NodeInfo& n)
      : id_(n.id), configured_url_(o.url), batch_size_(static_cast<std::size_t>(o.batch_size)) {}

  void open(RunContext& ctx) override {
    url_ = store_url_for(configured_url_, id_, ctx);
    store_ = shared_store(ctx, url_);
  }

  void process(Record in, RunContext& ctx, Emitter& out) override {
    auto row = dead_letter_row(in, ctx.run_id(), iso_now());
    out.hold();
    std::vector<DeadLetterRow> ready;
    {
      std::lock_guard lock(mu_);
      buf_.push_back(std::move(row));
      if (buf_.size() < batch_size_) return;
      std::swap(ready, buf_);
    }
    flush(ready, ctx, out);
  }

  void close(RunContext& ctx, Emitter& out) override {
    std::vector<DeadLetterRow> rest;
    {
      std::lock_guard lock(mu_);
      std::swap(rest, buf_);
    }
    if (!rest.empty()) flush(rest, ctx, out);
  }

 private:
  void flush(const std::vector<DeadLetterRow>& rows, RunContext& ctx, Emitter& out) {
    if (failed_.load()) return;  // held: counted unwritten
    try {
      store_->add_dead_letters(rows);
    } catch (const std::exception& e) {
      failed_.store(true);
      out.broken(write_failure(id_, url_, rows.size(), e));
      return;
    }
    out.written(static_cast<std::int64_t>(rows.size()));
    ctx.add_counter("store.dead_letters", static_cast<double>(rows.size()));
  }

  std::string id_, configured_url_;
  std::size_t batch_size_;
  std::string url_;
  std::shared_ptr<Store> store_;
  std::mutex mu_;
  std::vector<DeadLetterRow> buf_;
  std::atomic<bool> failed_{false};
};

// `url`: a store URL whose scheme this build supports, checked by `flowrun check` at its line.
template <class Opts>
void add_url_option(NodeType<Opts>& t) {
  t.custom_option(
      "url", OptionType::string,
      "Store URL (`sqlite:path/to.db`, relative to the pipeline's folder, or `postgresql://...`). "
      "Default: the pipeline's `store:`; one of the two is required.",
      [](Opts& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
        std::string why;
        std::string url = v.IsScalar() ? resolve_store_url(v.Scalar(), c.node.base_dir, why) : "";
        if (!v.IsScalar()) why = "must be a store URL string";
        if (!why.empty()) {
          c.diags.error(location_of(c.file, v), "node '" + c.node.id + "': option '" + s.name + "': " + why);
          return false;
        }
        o.url = std::move(url);
        return true;
      },
      [](const Opts& o) { return redact_url(o.url); });
}

template <class Opts>
void add_hash_exclude_option(NodeType<Opts>& t) {
  t.option("hash_exclude", &Opts::hash_exclude,
           "Top-level fields left out of the content hash (what later nodes derive or what changes every "
           "run). Use the same list on `changed_filter` and `store`.");
}

// `flowrun check --env`: can the store be opened (and migrated) right now?
std::string probe_store(std::string url, const Settings& settings) {
  if (url.empty()) {
    auto it = settings.find("store");
    if (it != settings.end()) url = it->second;
  }
  if (url.empty()) return "no store URL: set the node's `url:` or the pipeline's `store:`";
  // Do not hang a check on an unreachable server.
  if (url.rfind("postgres", 0) == 0 && url.find("connect_timeout") == std::string::npos)
    url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("connect_timeout=5");
  try {
    Store::open(url);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

template <class Opts>
void add_probe(NodeType<Opts>& t) {
  t.check_env([](const Opts& o, const NodeInfo&, const Settings& s) { return probe_store(o.url, s); });
}

// The URL an instance writes, for `flowrun check`'s placement warnings (NodeDescriptor::store_url).
template <class Opts>
NodeDescriptor with_store_url(NodeDescriptor d) {
  d.store_url = [](const BoundOptions& b) { return b.as<Opts>().url; };
  return d;
}

NodeDescriptor store_descriptor() {
  NodeType<StoreOptions> t("store", Role::sink,
                           "Upserts records into the store in batched transactions: canonical properties keyed by "
                           "`id` (new / updated / unchanged by content hash, price history), raw records keyed by "
                           "source + source id, or a `chunker`'s chunks keyed by parent id + chunk index (with their "
                           "embedding; a parent's stale higher-index chunks are deleted). Idempotent: reruns and "
                           "resumes after a crash add no rows. A batch that cannot be written fails the run; its "
                           "records go to `errors` with the reason.");
  add_url_option(t);
  t.option("kind", &StoreOptions::kind,
           "What to write: `properties`, `raw` or `chunks` (the `chunker`'s records, into the `chunks` table; "
           "counted as `store.chunks_*`) (`table:` is an alias).")
      .choices({"properties", "raw", "chunks"})
      .alias("table");
  t.option("batch_size", &StoreOptions::batch_size, "Records per transaction.").at_least(1);
  t.option("changed_only", &StoreOptions::changed_only,
           "Write only new or changed records: unchanged ones are counted but not touched "
           "(their last_seen stays), which makes unchanged reruns cheaper.");
  add_hash_exclude_option(t);
  t.blocking_io();
  add_probe(t);
  t.create([](const StoreOptions& o, const NodeInfo& n) { return std::make_unique<StoreSink>(o, n); });
  return with_store_url<StoreOptions>(t.descriptor());
}

NodeDescriptor changed_filter_descriptor() {
  NodeType<ChangedFilterOptions> t("changed_filter", Role::transform,
                                   "Passes only records that are new or whose content hash differs from the stored "
                                   "one, and those whose stored LLM enrichment is still pending; unchanged records "
                                   "are filtered (and marked seen), so e.g. the LLM runs only on changes.");
  add_url_option(t);
  add_hash_exclude_option(t);
  t.option("batch_size", &ChangedFilterOptions::batch_size, "Unchanged records marked seen per transaction.").at_least(1);
  t.option("pending_attempts", &ChangedFilterOptions::pending_attempts,
           "A stored record whose LLM enrichment is still `pending` passes again (unchanged) until it is "
           "enriched or has been stored pending this many times; 0: never.")
      .at_least(0);
  t.blocking_io();
  add_probe(t);
  t.create([](const ChangedFilterOptions& o, const NodeInfo& n) { return std::make_unique<ChangedFilter>(o, n); });
  return with_store_url<ChangedFilterOptions>(t.descriptor());
}

NodeDescriptor dead_letter_store_descriptor() {
  NodeType<DeadLetterStoreOptions> t("dead_letter_store", Role::sink,
                                     "Writes failed records with the failing node and reason into the store's "
                                     "`dead_letters` table. Also receives error ports that no node consumes. What it "
                                     "cannot write is counted unwritten and fails the run.");
  add_url_option(t);
  t.option("batch_size", &DeadLetterStoreOptions::batch_size, "Dead letters per transaction.").at_least(1);
  t.blocking_io().dead_letter();
  add_probe(t);
  t.create([](const DeadLetterStoreOptions& o, const NodeInfo& n) { return std::make_unique<DeadLetterStore>(o, n); });
  return with_store_url<DeadLetterStoreOptions>(t.descriptor());
}

}  // namespace
}  // namespace flowrun::store

namespace flowrun {

void register_store_nodes(Registry& registry) {
  registry.add(store::store_descriptor());
  registry.add(store::changed_filter_descriptor());
  registry.add(store::dead_letter_store_descriptor());
  store::register_store_schemes(registry);
  registry.add_observer(store::run_ledger_observer());
  registry.add_observer(store::retention_observer());  // after the ledger: prunes a recorded run
}

}  // namespace flowrun
