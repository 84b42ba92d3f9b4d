#include "nodes/store/postgres_store.hpp"

#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>

#include "nodes/store/schema.hpp"
#include "nodes/store/upsert_plan.hpp"

namespace flowrun::store {

std::string pg_text_array(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  bool first = true;
  for (const auto& it : items) {
    if (!first) out += ',';
    first = false;
    if (!it) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *it) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string pg_placeholders(const std::string& sql) {
  std::string out;
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$' + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::optional<std::string> num(std::optional<double> v) {
  if (!v) return std::nullopt;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", *v);
  return std::string(buf);
}
std::optional<std::string> text_or_null(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

struct Result {
  PGresult* r = nullptr;
  explicit Result(PGresult* r) : r(r) {}
  ~Result() { PQclear(r); }
  Result(const Result&) = delete;
  Result(Result&& o) noexcept : r(std::exchange(o.r, nullptr)) {}
  int rows() const { return PQntuples(r); }
  int cols() const { return PQnfields(r); }
  std::optional<std::string> text(int row, int col) const {
    if (PQgetisnull(r, row, col)) return std::nullopt;
    return std::string(PQgetvalue(r, row, col), PQgetlength(r, row, col));
  }
  std::optional<double> real(int row, int col) const {
    if (PQgetisnull(r, row, col)) return std::nullopt;
    return std::stod(PQgetvalue(r, row, col));
  }
};

using Params = std::vector<std::optional<std::string>>;

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(const std::string& url) : url_(url) {
    conn_ = PQconnectdb(url.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      throw std::runtime_error(redact_url(url) + ": cannot connect: " + trim(msg));
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "already exists" chatter
    migrate();
    prepare_all();
  }
  ~PostgresStore() override { PQfinish(conn_); }

  std::string kind() const override { return "postgresql"; }

  int schema_version() override {
    std::lock_guard lock(mu_);
    Result r = exec("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    return std::stoi(*r.text(0, 0));
  }

  UpsertCounts upsert_properties(const std::vector<PropertyRow>& rows, const std::string& run_id,
                                 const std::string& now, bool touch_unchanged) override {
    std::lock_guard lock(mu_);
    if (rows.empty()) return {};
    Tx tx(*this);
    Params ids;
    for (const auto& r : rows) ids.push_back(r.id);
    std::map<std::string, Existing> existing;
    {
      Result res = exec_prepared("sel_props", {pg_text_array(ids)});
      for (int i = 0; i < res.rows(); ++i)
        existing.emplace(*res.text(i, 0), Existing{res.text(i, 1).value_or(""),
                                                   res.text(i, 5).value_or(""), res.real(i, 2),
                                                   res.real(i, 3), res.real(i, 4)});
    }
    auto plan = plan_upsert(rows, existing);

    Params u_id, u_src, u_zip, u_body, u_hash, u_price, u_av, u_fcv, u_es, u_status, u_trace, touch_ids,
        touch_traces;
    for (const auto& p : plan.rows) {
      const auto& r = *p.row;
      if (p.change == Change::unchanged && !p.replace_body) {
        touch_ids.push_back(r.id), touch_traces.push_back(text_or_null(r.trace_id));
        continue;
      }
      u_trace.push_back(text_or_null(r.trace_id));
      u_id.push_back(r.id), u_src.push_back(text_or_null(r.source)), u_zip.push_back(text_or_null(r.zip));
      u_body.push_back(r.body), u_hash.push_back(r.content_hash), u_price.push_back(num(r.price));
      u_av.push_back(num(r.assessed_value)), u_fcv.push_back(num(r.full_cash_value));
      u_es.push_back(text_or_null(r.enrichment_status));
      u_status.push_back(p.change == Change::inserted ? "inserted"
                         : p.change == Change::updated ? "updated" : "unchanged");
    }
    if (!u_id.empty())
      exec_prepared("upsert_props",
                    {pg_text_array(u_id), pg_text_array(u_src), pg_text_array(u_zip),
                     pg_text_array(u_body), pg_text_array(u_hash), pg_text_array(u_price),
                     pg_text_array(u_av), pg_text_array(u_fcv), pg_text_array(u_es), now, run_id,
                     pg_text_array(u_status), pg_text_array(u_trace)});
    if (touch_unchanged && !touch_ids.empty())
      exec_prepared("touch", {now, run_id, pg_text_array(touch_ids), pg_text_array(touch_traces)});
    if (!plan.history.empty()) {
      Params h_id, h_p, h_a, h_f, h_t;
      for (const auto& h : plan.history)
        h_id.push_back(h.row->id), h_p.push_back(num(h.row->price)),
            h_a.push_back(num(h.row->assessed_value)), h_f.push_back(num(h.row->full_cash_value)),
            h_t.push_back(text_or_null(h.row->trace_id));
      exec_prepared("history", {now, run_id, pg_text_array(h_id), pg_text_array(h_p),
                                pg_text_array(h_a), pg_text_array(h_f), pg_text_array(h_t)});
    }
    tx.commit();
    return plan.counts;
  }

  UpsertCounts upsert_raw(const std::vector<RawRow>& rows, bool touch_unchanged) override {
    std::lock_guard lock(mu_);
    if (rows.empty()) return {};
    Tx tx(*this);
    Params src, sid;
    for (const auto& r : rows) src.push_back(r.source), sid.push_back(r.source_id);
    std::map<std::pair<std::string, std::string>, std::string> known;
    {
      Result res = exec_prepared("sel_raw", {pg_text_array(src), pg_text_array(sid)});
      for (int i = 0; i < res.rows(); ++i)
        known[{*res.text(i, 0), *res.text(i, 1)}] = *res.text(i, 2);
    }
    UpsertCounts c;
    // ON CONFLICT cannot touch one row twice in a statement: keep the last of duplicate keys.
    std::map<std::pair<std::string, std::string>, const RawRow*> last;
    for (const auto& r : rows) {
      auto key = std::make_pair(r.source, r.source_id);
      auto it = known.find(key);
      c.tally(it == known.end() ? nullptr : &it->second, r.content_hash);
      known[key] = r.content_hash;  // a later row of the batch with this key compares with this one
      if (touch_unchanged || c.changed.back()) last[key] = &r;
    }
    if (last.empty()) {
      tx.commit();
      return c;
    }
    Params a, b, f, h, body, t, run;
    for (const auto& [k, r] : last)
      a.push_back(r->source), b.push_back(r->source_id), f.push_back(r->fetched_at),
          h.push_back(r->content_hash), body.push_back(r->body), t.push_back(text_or_null(r->trace_id)),
          run.push_back(text_or_null(r->run_id));
    exec_prepared("upsert_raw", {pg_text_array(a), pg_text_array(b), pg_text_array(f),
                                 pg_text_array(h), pg_text_array(body), pg_text_array(t), pg_text_array(run)});
    tx.commit();
    return c;
  }

  UpsertCounts upsert_chunks(const std::vector<ChunkRow>& rows, const std::string& run_id, const std::string& now,
                             bool touch_unchanged) override {
    std::lock_guard lock(mu_);
    if (rows.empty()) return {};
    Tx tx(*this);
    Params par, idx;
    for (const auto& r : rows) par.push_back(r.parent_id), idx.push_back(std::to_string(r.chunk_index));
    using Key = std::pair<std::string, std::int64_t>;
    std::map<Key, std::string> known;
    {
      Result res = exec_prepared("sel_chunks", {pg_text_array(par), pg_text_array(idx)});
      for (int i = 0; i < res.rows(); ++i) known[{*res.text(i, 0), std::stoll(*res.text(i, 1))}] = *res.text(i, 2);
    }
    UpsertCounts c;
    // ON CONFLICT cannot touch one row twice in a statement: keep the last of duplicate keys.
    std::map<Key, const ChunkRow*> last;
    std::map<std::string, std::int64_t> counts;  // per parent: the chunk count of its last row
    for (const auto& r : rows) {
      Key key{r.parent_id, r.chunk_index};
      auto it = known.find(key);
      c.tally(it == known.end() ? nullptr : &it->second, r.content_hash);
      known[key] = r.content_hash;  // a later row of the batch with this key compares with this one
      counts[r.parent_id] = r.chunk_count;
      if (touch_unchanged || c.changed.back()) last[key] = &r;
    }
    if (!last.empty()) {
      Params p, i, n, st, en, text, fields, emb, model, hash, trace;
      for (const auto& [k, r] : last)
        p.push_back(r->parent_id), i.push_back(std::to_string(r->chunk_index)),
            n.push_back(std::to_string(r->chunk_count)), st.push_back(std::to_string(r->start_offset)),
            en.push_back(std::to_string(r->end_offset)), text.push_back(r->text), fields.push_back(r->fields),
            emb.push_back(text_or_null(r->embedding)), model.push_back(text_or_null(r->embedding_model)),
            hash.push_back(r->content_hash), trace.push_back(text_or_null(r->trace_id));
      exec_prepared("upsert_chunks",
                    {now, text_or_null(run_id), pg_text_array(p), pg_text_array(i), pg_text_array(n),
                     pg_text_array(st), pg_text_array(en), pg_text_array(text), pg_text_array(fields),
                     pg_text_array(emb), pg_text_array(model), pg_text_array(hash), pg_text_array(trace)});
    }
    Params dp, dn;
    for (const auto& [parent, count] : counts) dp.push_back(parent), dn.push_back(std::to_string(count));
    Result del = exec_prepared("del_chunks", {pg_text_array(dp), pg_text_array(dn)});
    const char* gone = PQcmdTuples(del.r);
    c.removed = gone && *gone ? std::stoll(gone) : 0;
    tx.commit();
    return c;
  }

  std::vector<std::optional<std::string>> content_hashes(const std::vector<std::string>& ids) override {
    std::lock_guard lock(mu_);
    Params p(ids.begin(), ids.end());
    Result res = exec_prepared("sel_hashes", {pg_text_array(p)});
    std::map<std::string, std::string> m;
    for (int i = 0; i < res.rows(); ++i) m[*res.text(i, 0)] = *res.text(i, 1);
    std::vector<std::optional<std::string>> out;
    for (const auto& id : ids) {
      auto it = m.find(id);
      out.push_back(it == m.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    return out;
  }

  std::vector<std::optional<StoredState>> stored_states(const std::vector<std::string>& ids) override {
    std::lock_guard lock(mu_);
    Params p(ids.begin(), ids.end());
    Result res = exec_prepared("sel_states", {pg_text_array(p)});
    std::map<std::string, StoredState> m;
    for (int i = 0; i < res.rows(); ++i)
      m[*res.text(i, 0)] = StoredState{res.text(i, 1).value_or(""), res.text(i, 2).value_or(""),
                                       std::stoll(res.text(i, 3).value_or("0"))};
    std::vector<std::optional<StoredState>> out;
    for (const auto& id : ids) {
      auto it = m.find(id);
      out.push_back(it == m.end() ? std::nullopt : std::optional<StoredState>(it->second));
    }
    return out;
  }

  void touch(const std::vector<std::string>& ids, const std::string& run_id, const std::string& now,
             const std::vector<std::string>& trace_ids) override {
    std::lock_guard lock(mu_);
    if (ids.empty()) return;
    Params p(ids.begin(), ids.end()), t;
    for (std::size_t i = 0; i < ids.size(); ++i) t.push_back(text_or_null(i < trace_ids.size() ? trace_ids[i] : ""));
    exec_prepared("touch", {now, run_id, pg_text_array(p), pg_text_array(t)});
  }

  void add_dead_letters(const std::vector<DeadLetterRow>& rows) override {
    std::lock_guard lock(mu_);
    if (rows.empty()) return;
    Params run, node, rid, rec, reason, at, trace;
    for (const auto& r : rows)
      run.push_back(r.run_id), node.push_back(r.node), rid.push_back(text_or_null(r.record_id)),
          rec.push_back(r.record), reason.push_back(r.reason), at.push_back(r.at),
          trace.push_back(text_or_null(r.trace_id));
    exec_params(
        "INSERT INTO dead_letters (run_id, node, record_id, record, reason, at, trace_id) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[], "
        "$7::text[])",
        {pg_text_array(run), pg_text_array(node), pg_text_array(rid), pg_text_array(rec),
         pg_text_array(reason), pg_text_array(at), pg_text_array(trace)});
  }

  void run_started(const RunStart& r) override {
    std::lock_guard lock(mu_);
    exec_params("INSERT INTO runs (run_id, pipeline, started_at, status, host, pid) "
                "VALUES ($1, $2, $3, 'running', $4, $5) ON CONFLICT (run_id) DO UPDATE SET "
                "status = 'running', started_at = EXCLUDED.started_at",
                {r.run_id, r.pipeline, r.started_at, r.host, std::to_string(r.pid)});
  }

  void run_finished(const RunFinish& r) override {
    std::lock_guard lock(mu_);
    exec_params(R"SQL(
INSERT INTO runs (run_id, pipeline, started_at, finished_at, status, node_counts, tokens, cost,
  duration_ms, inserted, updated, unchanged, dead_letters, summary)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14::jsonb)
ON CONFLICT (run_id) DO UPDATE SET finished_at = EXCLUDED.finished_at, status = EXCLUDED.status,
  node_counts = EXCLUDED.node_counts, tokens = EXCLUDED.tokens, cost = EXCLUDED.cost,
  duration_ms = EXCLUDED.duration_ms, inserted = EXCLUDED.inserted, updated = EXCLUDED.updated,
  unchanged = EXCLUDED.unchanged, dead_letters = EXCLUDED.dead_letters, summary = EXCLUDED.summary,
  started_at = COALESCE(runs.started_at, EXCLUDED.started_at))SQL",
                {r.run_id, r.pipeline, text_or_null(r.started_at), r.finished_at, r.status,
                 r.node_counts, num(r.tokens), num(r.cost), num(r.duration_ms),
                 std::to_string(r.inserted), std::to_string(r.updated), std::to_string(r.unchanged),
                 std::to_string(r.dead_letters), r.summary});
  }

  int mark_crashed_runs(const std::string& host) override;

  std::optional<std::string> cache_get(const std::string& key, std::int64_t now_epoch) override {
    std::lock_guard lock(mu_);
    Result r = exec_prepared("cache_get", {key, std::to_string(now_epoch)});
    if (r.rows() == 0) return std::nullopt;
    return r.text(0, 0);
  }

  void cache_put(const std::string& key, const std::string& model, const std::string& value,
                 const std::string& created_at, std::int64_t expires_epoch, const std::string& trace_id,
                 const std::string& run_id) override {
    std::lock_guard lock(mu_);
    exec_prepared("cache_put", {key, model, value, created_at, std::to_string(expires_epoch),
                                text_or_null(trace_id), text_or_null(run_id)});
  }

  std::vector<Row> query(const std::string& sql, const std::vector<std::string>& params) override {
    std::lock_guard lock(mu_);
    Params p(params.begin(), params.end());
    Result r = exec_params(pg_placeholders(sql), p);
    std::vector<Row> rows;
    for (int i = 0; i < r.rows(); ++i) {
      Row row;
      for (int c = 0; c < r.cols(); ++c) row.push_back(r.text(i, c));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::int64_t execute(const std::string& sql, const std::vector<std::string>& params) override {
    std::lock_guard lock(mu_);
    Params p(params.begin(), params.end());
    Result r = exec_params(pg_placeholders(sql), p);
    const char* changed = PQcmdTuples(r.r);
    return changed && *changed ? std::stoll(changed) : 0;
  }

 private:
  friend struct Tx;
  struct Tx {
    explicit Tx(PostgresStore& s) : s(s) { Result r = s.exec("BEGIN"); }
    void commit() {
      Result r = s.exec("COMMIT");
      done = true;
    }
    ~Tx() {
      if (!done) PQclear(PQexec(s.conn_, "ROLLBACK"));
    }
    PostgresStore& s;
    bool done = false;
  };

  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  Result check(PGresult* res, const std::string& what) {
    Result r(res);
    auto st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
      throw std::runtime_error(redact_url(url_) + ": " + what + ": " + trim(msg));
    }
    return Result(std::exchange(r.r, nullptr));
  }

  // A dropped connection (server restart) is retried once, only outside a transaction.
  void ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_BAD) {
      PQreset(conn_);
      if (PQstatus(conn_) != CONNECTION_OK)
        throw std::runtime_error(redact_url(url_) + ": connection lost: " + trim(PQerrorMessage(conn_)));
      prepare_all();
    }
  }

  Result exec(const std::string& sql) {
    ensure_connected();
    return check(PQexec(conn_, sql.c_str()), sql.substr(0, 60));
  }

  static std::vector<const char*> raw_params(const Params& p) {
    std::vector<const char*> v;
    for (const auto& x : p) v.push_back(x ? x->c_str() : nullptr);
    return v;
  }

  Result exec_params(const std::string& sql, const Params& p) {
    ensure_connected();
    auto v = raw_params(p);
    return check(PQexecParams(conn_, sql.c_str(), static_cast<int>(v.size()), nullptr, v.data(),
                              nullptr, nullptr, 0),
                 sql.substr(0, 60));
  }

  Result exec_prepared(const char* name, const Params& p) {
    ensure_connected();
    auto v = raw_params(p);
    return check(PQexecPrepared(conn_, name, static_cast<int>(v.size()), v.data(), nullptr, nullptr, 0),
                 name);
  }

  void prepare(const char* name, const char* sql) {
    check(PQprepare(conn_, name, sql, 0, nullptr), std::string("prepare ") + name);
  }

  void prepare_all() {
    prepare("sel_props",
            "SELECT id, content_hash, price, assessed_value, full_cash_value, enrichment_status "
            "FROM properties WHERE id = ANY($1::text[]) FOR UPDATE");
    prepare("upsert_props", R"SQL(
INSERT INTO properties (id, source, zip, body, content_hash, price, assessed_value, full_cash_value,
  enrichment_status, first_seen, last_seen, last_changed, last_run_id, last_status, enrichment_attempts,
  last_trace_id)
SELECT u.id, u.source, u.zip, u.body::jsonb, u.hash, u.price, u.av, u.fcv, u.es, $10, $10, $10,
  $11, u.status, CASE WHEN u.es = 'pending' THEN 1 ELSE 0 END, u.trace
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[],
  $7::float8[], $8::float8[], $9::text[], $12::text[], $13::text[])
  AS u(id, source, zip, body, hash, price, av, fcv, es, status, trace)
ON CONFLICT (id) DO UPDATE SET source = EXCLUDED.source, zip = EXCLUDED.zip, body = EXCLUDED.body,
  content_hash = EXCLUDED.content_hash, price = EXCLUDED.price,
  assessed_value = EXCLUDED.assessed_value, full_cash_value = EXCLUDED.full_cash_value,
  enrichment_status = EXCLUDED.enrichment_status, last_seen = EXCLUDED.last_seen,
  enrichment_attempts = CASE WHEN EXCLUDED.enrichment_status = 'pending' THEN
    CASE WHEN properties.content_hash = EXCLUDED.content_hash AND properties.enrichment_status = 'pending'
         THEN properties.enrichment_attempts + 1 ELSE 1 END ELSE 0 END,
  last_changed = CASE WHEN properties.content_hash = EXCLUDED.content_hash
                      THEN properties.last_changed ELSE EXCLUDED.last_changed END,
  last_run_id = EXCLUDED.last_run_id, last_status = EXCLUDED.last_status,
  last_trace_id = EXCLUDED.last_trace_id)SQL");
    prepare("touch",
            "UPDATE properties p SET last_seen = $1, last_run_id = $2, last_status = 'unchanged', "
            "last_trace_id = COALESCE(u.trace, p.last_trace_id) "
            "FROM unnest($3::text[], $4::text[]) AS u(id, trace) WHERE p.id = u.id");
    prepare("history",
            "INSERT INTO property_history (id, seen_at, run_id, price, assessed_value, full_cash_value, trace_id) "
            "SELECT u.id, $1, $2, u.p, u.a, u.f, u.t FROM unnest($3::text[], $4::float8[], $5::float8[], "
            "$6::float8[], $7::text[]) AS u(id, p, a, f, t)");
    prepare("sel_raw",
            "SELECT r.source, r.source_id, r.content_hash FROM raw_records r JOIN "
            "unnest($1::text[], $2::text[]) AS u(source, source_id) "
            "ON r.source = u.source AND r.source_id = u.source_id");
    prepare("upsert_raw",
            "INSERT INTO raw_records (source, source_id, fetched_at, content_hash, body, trace_id, run_id) "
            "SELECT u.a, u.b, u.f, u.h, u.body::jsonb, u.t, u.r FROM unnest($1::text[], $2::text[], $3::text[], "
            "$4::text[], $5::text[], $6::text[], $7::text[]) AS u(a, b, f, h, body, t, r) "
            "ON CONFLICT (source, source_id) DO UPDATE SET fetched_at = EXCLUDED.fetched_at, "
            "content_hash = EXCLUDED.content_hash, body = EXCLUDED.body, trace_id = EXCLUDED.trace_id, "
            "run_id = EXCLUDED.run_id");
    prepare("sel_chunks",
            "SELECT c.parent_id, c.chunk_index, c.content_hash FROM chunks c JOIN "
            "unnest($1::text[], $2::bigint[]) AS u(p, i) ON c.parent_id = u.p AND c.chunk_index = u.i "
            "FOR UPDATE OF c");
    prepare("upsert_chunks", R"SQL(
INSERT INTO chunks (parent_id, chunk_index, chunk_count, start_offset, end_offset, text, fields, embedding,
  embedding_model, content_hash, stored_at, trace_id, run_id)
SELECT u.p, u.i, u.n, u.s, u.e, u.t, u.f, u.emb, u.m, u.h, $1, u.tr, $2
FROM unnest($3::text[], $4::int[], $5::int[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[],
  $11::text[], $12::text[], $13::text[]) AS u(p, i, n, s, e, t, f, emb, m, h, tr)
ON CONFLICT (parent_id, chunk_index) DO UPDATE SET chunk_count = EXCLUDED.chunk_count,
  start_offset = EXCLUDED.start_offset, end_offset = EXCLUDED.end_offset, text = EXCLUDED.text,
  fields = EXCLUDED.fields, embedding = EXCLUDED.embedding, embedding_model = EXCLUDED.embedding_model,
  content_hash = EXCLUDED.content_hash, stored_at = EXCLUDED.stored_at, trace_id = EXCLUDED.trace_id,
  run_id = EXCLUDED.run_id)SQL");
    prepare("del_chunks",
            "DELETE FROM chunks c USING unnest($1::text[], $2::bigint[]) AS u(p, n) "
            "WHERE c.parent_id = u.p AND c.chunk_index >= u.n");
    prepare("sel_hashes", "SELECT id, content_hash FROM properties WHERE id = ANY($1::text[])");
    prepare("sel_states",
            "SELECT id, content_hash, enrichment_status, enrichment_attempts FROM properties "
            "WHERE id = ANY($1::text[])");
    prepare("cache_get",
            "SELECT value FROM llm_cache WHERE key = $1 AND (expires_at = 0 OR expires_at > $2::bigint)");
    prepare("cache_put",
            "INSERT INTO llm_cache (key, model, value, created_at, expires_at, trace_id, run_id) "
            "VALUES ($1, $2, $3, $4, $5::bigint, $6, $7) ON CONFLICT (key) DO UPDATE SET "
            "model = EXCLUDED.model, value = EXCLUDED.value, created_at = EXCLUDED.created_at, "
            "expires_at = EXCLUDED.expires_at, trace_id = EXCLUDED.trace_id, run_id = EXCLUDED.run_id");
  }

  void migrate() {
    Tx tx(*this);
    // Several machines may open a fresh database at once: one migrates, the others wait.
    exec("SELECT pg_advisory_xact_lock(732184655)");
    exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
         "description TEXT, applied_at TIMESTAMPTZ DEFAULT now())");
    Result r = exec("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    int have = std::stoi(*r.text(0, 0));
    for (const auto& m : postgres_migrations()) {
      if (m.version <= have) continue;
      exec(m.sql);
      exec_params("INSERT INTO schema_version (version, description) VALUES ($1, $2)",
                  {std::to_string(m.version), std::string(m.description)});
    }
    tx.commit();
  }

  std::string url_;
  PGconn* conn_ = nullptr;
  std::mutex mu_;
};

int PostgresStore::mark_crashed_runs(const std::string& host) {
  std::lock_guard lock(mu_);
  Result r = exec_params("SELECT run_id, pid FROM runs WHERE status = 'running' AND host = $1", {host});
  int n = 0;
  for (int i = 0; i < r.rows(); ++i) {
    auto pid = std::stoll(r.text(i, 1).value_or("0"));
    if (pid > 0 && pid != getpid() && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      exec_params("UPDATE runs SET status = 'crashed' WHERE run_id = $1 AND status = 'running'",
                  {*r.text(i, 0)});
      ++n;
    }
  }
  return n;
}
}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url) {
  return std::make_unique<PostgresStore>(url);
}

}  // namespace flowrun::store
