// A consistent copy of a SQLite store while runs may be writing to it. Copying the file (cp,
// rsync) while a run writes can give a broken copy, and misses what still sits in the WAL; SQLite's
// online backup API copies the database as of one read transaction instead. PostgreSQL has
// pg_dump for the same job, which flowrun does not re-implement (pg_dump_advice says how).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace flowrun::store {

struct BackupResult {
  std::string path;     // where the copy now is
  std::int64_t bytes = 0;
  std::vector<std::pair<std::string, std::int64_t>> rows;  // rows per table in the copy
};

// Copies the SQLite database at `from` to `to` with sqlite3_backup_* in one step (one read
// transaction: a consistent snapshot, and in WAL mode writers are not blocked meanwhile). The copy
// is written beside `to` under a temporary name, switched to a single-file journal, reopened and
// checked with `PRAGMA integrity_check`, and only then renamed onto `to` (replacing an older
// backup). Throws std::runtime_error saying what failed; `to` is then left as it was.
BackupResult backup_sqlite(const std::string& from, const std::string& to);

// What to run instead for a PostgreSQL store (pg_dump / pg_restore), the URL's password redacted.
std::string pg_dump_advice(const std::string& url, const std::string& to);

}  // namespace flowrun::store
