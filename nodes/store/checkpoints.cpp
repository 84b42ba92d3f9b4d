#include "nodes/store/checkpoints.hpp"

#include <chrono>

#include "nodes/store/record_rows.hpp"

namespace flowrun::store {

namespace {

const char* const kTables[] = {
    "CREATE TABLE IF NOT EXISTS crawl_state (source TEXT PRIMARY KEY, crawl TEXT NOT NULL, "
    "finished INTEGER NOT NULL, updated_at BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS crawl_pages (source TEXT NOT NULL, crawl TEXT NOT NULL, query TEXT NOT NULL, "
    "last_page BIGINT NOT NULL, PRIMARY KEY (source, crawl, query))",
    "CREATE TABLE IF NOT EXISTS crawl_items (source TEXT NOT NULL, item TEXT NOT NULL, crawl TEXT NOT NULL, "
    "status INTEGER NOT NULL, fetched_at BIGINT NOT NULL, content_hash TEXT NOT NULL, etag TEXT NOT NULL, "
    "last_modified TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (source, item))",
};

std::int64_t now_epoch() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void ensure_checkpoint_tables(Store& store) {
  for (const char* sql : kTables) store.execute(sql);
}

Checkpoints::Checkpoints(std::shared_ptr<Store> store, std::string source)
    : store_(std::move(store)), source_(std::move(source)) {
  ensure_checkpoint_tables(*store_);
}

std::string Checkpoints::begin(const std::string& run_id, bool resume) {
  if (resume) {
    auto rows = store_->query("SELECT crawl, finished FROM crawl_state WHERE source = ?", {source_});
    if (!rows.empty() && rows[0][0] && rows[0][1] && *rows[0][1] == "0") return *rows[0][0];
  }
  store_->execute(
      "INSERT INTO crawl_state (source, crawl, finished, updated_at) VALUES (?, ?, 0, ?) "
      "ON CONFLICT (source) DO UPDATE SET crawl = excluded.crawl, finished = 0, updated_at = excluded.updated_at",
      {source_, run_id, std::to_string(now_epoch())});
  return run_id;
}

void Checkpoints::finish(const std::string& crawl) {
  store_->execute("UPDATE crawl_state SET finished = 1, updated_at = ? WHERE source = ? AND crawl = ?",
                  {std::to_string(now_epoch()), source_, crawl});
}

std::optional<FetchedItem> Checkpoints::item(const std::string& key) {
  auto rows = store_->query(
      "SELECT crawl, status, body, content_hash, etag, last_modified, fetched_at FROM crawl_items "
      "WHERE source = ? AND item = ?",
      {source_, key});
  if (rows.empty()) return std::nullopt;
  const Row& r = rows[0];
  auto text = [&](std::size_t i) { return r[i] ? *r[i] : std::string(); };
  FetchedItem f;
  f.crawl = text(0);
  f.status = std::stol(text(1));
  f.body = text(2);
  f.content_hash = text(3);
  f.etag = text(4);
  f.last_modified = text(5);
  f.fetched_at = std::stoll(text(6));
  return f;
}

void Checkpoints::save(const std::string& key, const FetchedItem& f) {
  store_->execute(
      "INSERT INTO crawl_items (source, item, crawl, status, fetched_at, content_hash, etag, last_modified, body) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, item) DO UPDATE SET crawl = excluded.crawl, "
      "status = excluded.status, fetched_at = excluded.fetched_at, content_hash = excluded.content_hash, "
      "etag = excluded.etag, last_modified = excluded.last_modified, body = excluded.body",
      {source_, key, f.crawl, std::to_string(f.status), std::to_string(f.fetched_at ? f.fetched_at : now_epoch()),
       f.content_hash.empty() ? sha256_hex(f.body) : f.content_hash, f.etag, f.last_modified, f.body});
}

void Checkpoints::touch(const std::string& key, const std::string& crawl, std::int64_t now) {
  store_->execute("UPDATE crawl_items SET crawl = ?, fetched_at = ? WHERE source = ? AND item = ?",
                  {crawl, std::to_string(now), source_, key});
}

void Checkpoints::page_done(const std::string& crawl, const std::string& query, long long page) {
  store_->execute(
      "INSERT INTO crawl_pages (source, crawl, query, last_page) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (source, crawl, query) DO UPDATE SET last_page = excluded.last_page",
      {source_, crawl, query, std::to_string(page)});
}

long long Checkpoints::last_page(const std::string& crawl, const std::string& query) {
  auto rows = store_->query("SELECT last_page FROM crawl_pages WHERE source = ? AND crawl = ? AND query = ?",
                            {source_, crawl, query});
  return rows.empty() || !rows[0][0] ? 0 : std::stoll(*rows[0][0]);
}

}  // namespace flowrun::store
