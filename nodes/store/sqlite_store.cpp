#include "nodes/store/sqlite_store.hpp"

#include <sqlite3.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

#include "nodes/store/schema.hpp"
#include "nodes/store/upsert_plan.hpp"

namespace flowrun::store {

namespace {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite: cannot prepare: ") + sqlite3_errmsg(db) +
                               " in: " + sql);
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    return *this;
  }
  Stmt& bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_or_null(int i, const std::string& s) {
    if (s.empty()) sqlite3_bind_null(st_, i);
    else bind(i, s);
    return *this;
  }
  Stmt& bind(int i, std::optional<double> v) {
    if (v) sqlite3_bind_double(st_, i, *v);
    else sqlite3_bind_null(st_, i);
    return *this;
  }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(st_, i, v);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  // true while a row is available
  bool step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  void run() {
    while (step()) {
    }
  }
  std::optional<std::string> text(int col) {
    if (sqlite3_column_type(st_, col) == SQLITE_NULL) return std::nullopt;
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return std::string(p, sqlite3_column_bytes(st_, col));
  }
  std::optional<double> real(int col) {
    if (sqlite3_column_type(st_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(st_, col);
  }
  int columns() { return sqlite3_column_count(st_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

constexpr const char* kUpsertProperty = R"SQL(
INSERT INTO properties (id, source, zip, body, content_hash, price, assessed_value, full_cash_value,
  enrichment_status, first_seen, last_seen, last_changed, last_run_id, last_status, enrichment_attempts,
  last_trace_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10, ?11, ?12, CASE WHEN ?9 = 'pending' THEN 1 ELSE 0 END, ?13)
ON CONFLICT (id) DO UPDATE SET source = excluded.source, zip = excluded.zip, body = excluded.body,
  content_hash = excluded.content_hash, price = excluded.price,
  assessed_value = excluded.assessed_value, full_cash_value = excluded.full_cash_value,
  enrichment_status = excluded.enrichment_status, last_seen = excluded.last_seen,
  enrichment_attempts = CASE WHEN excluded.enrichment_status = 'pending' THEN
    CASE WHEN properties.content_hash = excluded.content_hash AND properties.enrichment_status = 'pending'
         THEN properties.enrichment_attempts + 1 ELSE 1 END ELSE 0 END,
  last_changed = CASE WHEN properties.content_hash = excluded.content_hash
                      THEN properties.last_changed ELSE excluded.last_changed END,
  last_run_id = excluded.last_run_id, last_status = excluded.last_status,
  last_trace_id = excluded.last_trace_id)SQL";

constexpr const char* kUpsertChunk = R"SQL(
INSERT INTO chunks (parent_id, chunk_index, chunk_count, start_offset, end_offset, text, fields, embedding,
  embedding_model, content_hash, stored_at, trace_id, run_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
ON CONFLICT (parent_id, chunk_index) DO UPDATE SET chunk_count = excluded.chunk_count,
  start_offset = excluded.start_offset, end_offset = excluded.end_offset, text = excluded.text,
  fields = excluded.fields, embedding = excluded.embedding, embedding_model = excluded.embedding_model,
  content_hash = excluded.content_hash, stored_at = excluded.stored_at, trace_id = excluded.trace_id,
  run_id = excluded.run_id)SQL";

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const std::string& path) {
    if (path != ":memory:") {
      auto parent = std::filesystem::path(path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
    }
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("sqlite:" + path + ": cannot open: " + msg);
    }
    sqlite3_busy_timeout(db_, 10000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    migrate(path);
    sel_prop_ = std::make_unique<Stmt>(db_,
        "SELECT content_hash, price, assessed_value, full_cash_value, enrichment_status "
        "FROM properties WHERE id = ?1");
    upsert_prop_ = std::make_unique<Stmt>(db_, kUpsertProperty);
    touch_ = std::make_unique<Stmt>(db_,
        "UPDATE properties SET last_seen = ?1, last_run_id = ?2, last_status = 'unchanged', "
        "last_trace_id = COALESCE(?4, last_trace_id) WHERE id = ?3");
    hist_ = std::make_unique<Stmt>(db_,
        "INSERT INTO property_history (id, seen_at, run_id, price, assessed_value, full_cash_value, "
        "trace_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    sel_raw_ = std::make_unique<Stmt>(db_,
        "SELECT content_hash FROM raw_records WHERE source = ?1 AND source_id = ?2");
    upsert_raw_ = std::make_unique<Stmt>(db_,
        "INSERT INTO raw_records (source, source_id, fetched_at, content_hash, body, trace_id, run_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (source, source_id) DO UPDATE SET "
        "fetched_at = excluded.fetched_at, content_hash = excluded.content_hash, body = excluded.body, "
        "trace_id = excluded.trace_id, run_id = excluded.run_id");
    sel_chunk_ = std::make_unique<Stmt>(db_,
        "SELECT content_hash FROM chunks WHERE parent_id = ?1 AND chunk_index = ?2");
    upsert_chunk_ = std::make_unique<Stmt>(db_, kUpsertChunk);
    del_chunks_ = std::make_unique<Stmt>(db_, "DELETE FROM chunks WHERE parent_id = ?1 AND chunk_index >= ?2");
    sel_hash_ = std::make_unique<Stmt>(db_, "SELECT content_hash FROM properties WHERE id = ?1");
    sel_state_ = std::make_unique<Stmt>(db_,
        "SELECT content_hash, enrichment_status, enrichment_attempts FROM properties WHERE id = ?1");
  }

  ~SqliteStore() override {
    sel_prop_.reset(), upsert_prop_.reset(), touch_.reset(), hist_.reset(), sel_raw_.reset(),
        upsert_raw_.reset(), sel_hash_.reset(), sel_state_.reset(), sel_chunk_.reset(), upsert_chunk_.reset(),
        del_chunks_.reset();
    sqlite3_close(db_);
  }

  std::string kind() const override { return "sqlite"; }

  int schema_version() override {
    std::lock_guard lock(mu_);
    return current_version();
  }

  UpsertCounts upsert_properties(const std::vector<PropertyRow>& rows, const std::string& run_id,
                                 const std::string& now, bool touch_unchanged) override {
    std::lock_guard lock(mu_);
    Tx tx(*this);
    std::map<std::string, Existing> existing;
    for (const auto& r : rows) {
      if (existing.count(r.id)) continue;
      auto& s = sel_prop_->reset().bind(1, r.id);
      if (s.step())
        existing.emplace(r.id, Existing{s.text(0).value_or(""), s.text(4).value_or(""), s.real(1),
                                        s.real(2), s.real(3)});
    }
    sel_prop_->reset();  // a stepped statement would keep its read snapshot open
    auto plan = plan_upsert(rows, existing);
    for (const auto& p : plan.rows) {
      const auto& r = *p.row;
      if (p.change == Change::unchanged && !p.replace_body) {
        if (touch_unchanged)
          touch_->reset().bind(1, now).bind(2, run_id).bind(3, r.id).bind_or_null(4, r.trace_id).run();
        continue;
      }
      const char* status = p.change == Change::inserted ? "inserted"
                           : p.change == Change::updated ? "updated" : "unchanged";
      upsert_prop_->reset()
          .bind(1, r.id).bind_or_null(2, r.source).bind_or_null(3, r.zip).bind(4, r.body)
          .bind(5, r.content_hash).bind(6, r.price).bind(7, r.assessed_value)
          .bind(8, r.full_cash_value).bind_or_null(9, r.enrichment_status).bind(10, now)
          .bind(11, run_id).bind(12, std::string(status)).bind_or_null(13, r.trace_id)
          .run();
    }
    for (const auto& h : plan.history)
      hist_->reset().bind(1, h.row->id).bind(2, now).bind(3, run_id).bind(4, h.row->price)
          .bind(5, h.row->assessed_value).bind(6, h.row->full_cash_value).bind_or_null(7, h.row->trace_id).run();
    tx.commit();
    return plan.counts;
  }

  UpsertCounts upsert_raw(const std::vector<RawRow>& rows, bool touch_unchanged) override {
    std::lock_guard lock(mu_);
    Tx tx(*this);
    UpsertCounts c;
    for (const auto& r : rows) {
      auto& s = sel_raw_->reset().bind(1, r.source).bind(2, r.source_id);
      std::optional<std::string> old = s.step() ? s.text(0) : std::nullopt;
      c.tally(old ? &*old : nullptr, r.content_hash);
      if (!touch_unchanged && !c.changed.back()) continue;
      upsert_raw_->reset().bind(1, r.source).bind(2, r.source_id).bind(3, r.fetched_at)
          .bind(4, r.content_hash).bind(5, r.body).bind_or_null(6, r.trace_id).bind_or_null(7, r.run_id).run();
    }
    sel_raw_->reset();
    tx.commit();
    return c;
  }

  UpsertCounts upsert_chunks(const std::vector<ChunkRow>& rows, const std::string& run_id, const std::string& now,
                             bool touch_unchanged) override {
    std::lock_guard lock(mu_);
    Tx tx(*this);
    UpsertCounts c;
    std::map<std::string, std::int64_t> counts;  // per parent: the chunk count of its last row
    for (const auto& r : rows) {
      auto& s = sel_chunk_->reset().bind(1, r.parent_id).bind(2, r.chunk_index);
      std::optional<std::string> old = s.step() ? s.text(0) : std::nullopt;
      sel_chunk_->reset();
      c.tally(old ? &*old : nullptr, r.content_hash);
      counts[r.parent_id] = r.chunk_count;
      if (!touch_unchanged && !c.changed.back()) continue;
      upsert_chunk_->reset().bind(1, r.parent_id).bind(2, r.chunk_index).bind(3, r.chunk_count)
          .bind(4, r.start_offset).bind(5, r.end_offset).bind(6, r.text).bind(7, r.fields)
          .bind_or_null(8, r.embedding).bind_or_null(9, r.embedding_model).bind(10, r.content_hash)
          .bind(11, now).bind_or_null(12, r.trace_id).bind_or_null(13, run_id).run();
    }
    for (const auto& [parent, n] : counts) {
      del_chunks_->reset().bind(1, parent).bind(2, n).run();
      c.removed += sqlite3_changes64(db_);
    }
    tx.commit();
    return c;
  }

  std::vector<std::optional<std::string>> content_hashes(const std::vector<std::string>& ids) override {
    std::lock_guard lock(mu_);
    std::vector<std::optional<std::string>> out;
    out.reserve(ids.size());
    for (const auto& id : ids) {
      auto& s = sel_hash_->reset().bind(1, id);
      out.push_back(s.step() ? s.text(0) : std::nullopt);
    }
    sel_hash_->reset();
    return out;
  }

  std::vector<std::optional<StoredState>> stored_states(const std::vector<std::string>& ids) override {
    std::lock_guard lock(mu_);
    std::vector<std::optional<StoredState>> out;
    out.reserve(ids.size());
    for (const auto& id : ids) {
      auto& s = sel_state_->reset().bind(1, id);
      if (s.step())
        out.push_back(StoredState{s.text(0).value_or(""), s.text(1).value_or(""),
                                  static_cast<std::int64_t>(s.real(2).value_or(0))});
      else
        out.push_back(std::nullopt);
    }
    sel_state_->reset();
    return out;
  }

  void touch(const std::vector<std::string>& ids, const std::string& run_id, const std::string& now,
             const std::vector<std::string>& trace_ids) override {
    std::lock_guard lock(mu_);
    Tx tx(*this);
    for (std::size_t i = 0; i < ids.size(); ++i)
      touch_->reset().bind(1, now).bind(2, run_id).bind(3, ids[i])
          .bind_or_null(4, i < trace_ids.size() ? trace_ids[i] : std::string()).run();
    tx.commit();
  }

  void add_dead_letters(const std::vector<DeadLetterRow>& rows) override {
    std::lock_guard lock(mu_);
    Tx tx(*this);
    Stmt s(db_, "INSERT INTO dead_letters (run_id, node, record_id, record, reason, at, trace_id) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (const auto& r : rows)
      s.reset().bind(1, r.run_id).bind(2, r.node).bind_or_null(3, r.record_id).bind(4, r.record)
          .bind(5, r.reason).bind(6, r.at).bind_or_null(7, r.trace_id).run();
    tx.commit();
  }

  void run_started(const RunStart& r) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO runs (run_id, pipeline, started_at, status, host, pid) "
                "VALUES (?1, ?2, ?3, 'running', ?4, ?5) ON CONFLICT (run_id) DO UPDATE SET "
                "status = 'running', started_at = excluded.started_at");
    s.bind(1, r.run_id).bind(2, r.pipeline).bind(3, r.started_at).bind(4, r.host)
        .bind(5, r.pid).run();
  }

  void run_finished(const RunFinish& r) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, R"SQL(
INSERT INTO runs (run_id, pipeline, started_at, finished_at, status, node_counts, tokens, cost,
  duration_ms, inserted, updated, unchanged, dead_letters, summary)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status,
  node_counts = excluded.node_counts, tokens = excluded.tokens, cost = excluded.cost,
  duration_ms = excluded.duration_ms, inserted = excluded.inserted, updated = excluded.updated,
  unchanged = excluded.unchanged, dead_letters = excluded.dead_letters, summary = excluded.summary,
  started_at = COALESCE(runs.started_at, excluded.started_at))SQL");
    s.bind(1, r.run_id).bind(2, r.pipeline).bind_or_null(3, r.started_at).bind(4, r.finished_at)
        .bind(5, r.status).bind(6, r.node_counts).bind(7, r.tokens).bind(8, r.cost)
        .bind(9, r.duration_ms).bind(10, r.inserted).bind(11, r.updated).bind(12, r.unchanged)
        .bind(13, r.dead_letters).bind(14, r.summary).run();
  }

  int mark_crashed_runs(const std::string& host) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> dead;
    {
      Stmt s(db_, "SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ?1");
      s.bind(1, host);
      while (s.step()) {
        auto pid = std::stoll(s.text(1).value_or("0"));
        if (pid > 0 && pid != getpid() && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
          dead.push_back(*s.text(0));
      }
    }
    Stmt u(db_, "UPDATE runs SET status = 'crashed' WHERE run_id = ?1 AND status = 'running'");
    for (const auto& id : dead) u.reset().bind(1, id).run();
    return static_cast<int>(dead.size());
  }

  std::optional<std::string> cache_get(const std::string& key, std::int64_t now_epoch) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT value FROM llm_cache WHERE key = ?1 AND (expires_at = 0 OR expires_at > ?2)");
    s.bind(1, key).bind(2, now_epoch);
    return s.step() ? s.text(0) : std::nullopt;
  }

  void cache_put(const std::string& key, const std::string& model, const std::string& value,
                 const std::string& created_at, std::int64_t expires_epoch, const std::string& trace_id,
                 const std::string& run_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO llm_cache (key, model, value, created_at, expires_at, trace_id, run_id) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO UPDATE SET model = excluded.model, "
                "value = excluded.value, created_at = excluded.created_at, expires_at = excluded.expires_at, "
                "trace_id = excluded.trace_id, run_id = excluded.run_id");
    s.bind(1, key).bind(2, model).bind(3, value).bind(4, created_at).bind(5, expires_epoch)
        .bind_or_null(6, trace_id).bind_or_null(7, run_id).run();
  }

  std::vector<Row> query(const std::string& sql, const std::vector<std::string>& params) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, sql.c_str());
    for (std::size_t i = 0; i < params.size(); ++i) s.bind(static_cast<int>(i + 1), params[i]);
    std::vector<Row> rows;
    while (s.step()) {
      Row r;
      for (int c = 0; c < s.columns(); ++c) r.push_back(s.text(c));
      rows.push_back(std::move(r));
    }
    return rows;
  }

  std::int64_t execute(const std::string& sql, const std::vector<std::string>& params) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, sql.c_str());
    for (std::size_t i = 0; i < params.size(); ++i) s.bind(static_cast<int>(i + 1), params[i]);
    s.run();
    return sqlite3_changes64(db_);
  }

 private:
  // Rolls back unless committed, so an exception mid-batch leaves nothing half-written.
  struct Tx {
    explicit Tx(SqliteStore& s) : s(s) { s.exec("BEGIN IMMEDIATE"); }
    void commit() {
      s.exec("COMMIT");
      done = true;
    }
    ~Tx() {
      if (!done) sqlite3_exec(s.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    SqliteStore& s;
    bool done = false;
  };

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + msg);
    }
  }

  int current_version() {
    Stmt s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    return s.step() ? std::stoi(s.text(0).value_or("0")) : 0;
  }

  bool up_to_date() {
    try {
      Stmt t(db_, "SELECT 1 FROM sqlite_master WHERE name = 'schema_version'");
      return t.step() && current_version() >= sqlite_migrations().back().version;
    } catch (const std::exception&) {
      return false;  // a corrupt file: the migration below reports it
    }
  }

  void migrate(const std::string& path) {
    // Only a store that needs a migration takes the write lock here: a store that another
    // process holds for writing still opens, and fails at its first write with the real reason.
    if (up_to_date()) return;
    Tx tx(*this);  // IMMEDIATE: two processes opening a new file migrate one after the other
    exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
         "description TEXT, applied_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))");
    int have = current_version();
    for (const auto& m : sqlite_migrations()) {
      if (m.version <= have) continue;
      try {
        exec(m.sql);
      } catch (const std::exception& e) {
        throw std::runtime_error("sqlite:" + path + ": migration " + std::to_string(m.version) +
                                 " failed: " + e.what());
      }
      Stmt s(db_, "INSERT INTO schema_version (version, description) VALUES (?1, ?2)");
      s.bind(1, static_cast<std::int64_t>(m.version)).bind(2, std::string(m.description)).run();
    }
    tx.commit();
  }

  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Stmt> sel_prop_, upsert_prop_, touch_, hist_, sel_raw_, upsert_raw_, sel_hash_, sel_state_,
      sel_chunk_, upsert_chunk_, del_chunks_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path) {
  return std::make_unique<SqliteStore>(path);
}

}  // namespace flowrun::store
