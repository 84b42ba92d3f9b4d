#include "nodes/store/backup.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "nodes/store/store.hpp"

namespace flowrun::store {

namespace fs = std::filesystem;

namespace {

// One sqlite3 connection, closed on every path out.
class Db {
 public:
  Db(const std::string& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error(path + ": cannot open: " + msg);
    }
    sqlite3_busy_timeout(db_, 10000);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  sqlite3* get() const { return db_; }

  // Every row of a statement's first column, as text.
  std::vector<std::string> column(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      out.emplace_back(p ? p : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// The whole database in one backup step: one read transaction, so the copy is one committed state.
// Stepping page by page would let a writer's commit restart the copy, possibly forever while a run
// writes. SQLITE_BUSY/LOCKED (a writer mid-checkpoint, an exclusive lock) are retried for a while.
void copy_all(Db& from, Db& to) {
  sqlite3_backup* b = sqlite3_backup_init(to.get(), "main", from.get(), "main");
  if (!b) throw std::runtime_error(std::string("cannot start the backup: ") + sqlite3_errmsg(to.get()));
  int rc;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (std::chrono::steady_clock::now() > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE)
    throw std::runtime_error(std::string("backup failed: ") + sqlite3_errstr(rc) + ": " +
                             sqlite3_errmsg(to.get()));
}

// Opens the copy as a reader would and checks it page by page; counts rows per table.
std::vector<std::pair<std::string, std::int64_t>> verify(const std::string& path) {
  Db db(path, SQLITE_OPEN_READONLY);
  auto verdict = db.column("PRAGMA integrity_check");
  if (verdict.size() != 1 || verdict[0] != "ok") {
    std::string why;
    for (std::size_t i = 0; i < verdict.size() && i < 5; ++i) why += (i ? "; " : "") + verdict[i];
    throw std::runtime_error("the copy fails PRAGMA integrity_check: " + why);
  }
  std::vector<std::pair<std::string, std::int64_t>> rows;
  for (const auto& t : db.column("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                 "name NOT LIKE 'sqlite_%' ORDER BY name"))
    rows.emplace_back(t, std::stoll(db.column("SELECT COUNT(*) FROM \"" + t + "\"").at(0)));
  return rows;
}

}  // namespace

BackupResult backup_sqlite(const std::string& from, const std::string& to) {
  if (from == ":memory:") throw std::runtime_error("an in-memory store cannot be backed up");
  if (!fs::is_regular_file(from)) throw std::runtime_error(from + ": no such store file");
  const fs::path target = fs::absolute(to);
  if (fs::exists(target) && fs::equivalent(target, from))
    throw std::runtime_error(to + " is the store itself");
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  const std::string tmp = target.string() + ".tmp-" + std::to_string(getpid());
  fs::remove(tmp);
  try {
    {
      Db source(from, SQLITE_OPEN_READWRITE);  // never CREATE: a typo must not make an empty store
      Db copy(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      copy_all(source, copy);
      // The copy inherits WAL mode; one self-contained file is what a backup should be.
      copy.column("PRAGMA journal_mode=DELETE");
    }
    BackupResult r;
    r.rows = verify(tmp);
    fs::rename(tmp, target);
    r.path = target.string();
    r.bytes = static_cast<std::int64_t>(fs::file_size(target));
    return r;
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    fs::remove(tmp + "-journal", ec);
    throw;
  }
}

std::string pg_dump_advice(const std::string& url, const std::string& to) {
  // Without the password at all: a redacted "user:***@" pasted into pg_dump would be sent as one.
  std::string shown = redact_url(url);
  if (auto at = shown.find(":***@"); at != std::string::npos) shown.erase(at, 4);
  const std::string dest = to.empty() ? "flowrun.dump" : to;
  return "the store " + shown +
         " is PostgreSQL: flowrun does not copy PostgreSQL databases itself; pg_dump takes a "
         "consistent snapshot while runs write:\n"
         "  pg_dump --format=custom --file='" + dest + "' '" + shown + "'\n"
         "(give the password in PGPASSWORD or ~/.pgpass, not on the command line); restore into an "
         "empty database with:\n"
         "  pg_restore --no-owner --dbname='<new database URL>' '" + dest + "'\n"
         "then check it with `flowrun report --store <new database URL> --out check.html`.\n";
}

}  // namespace flowrun::store
