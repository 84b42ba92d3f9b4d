// SQLite store: WAL journal (readers never block the writer; a SIGKILL loses at most the open
// transaction), synchronous=NORMAL (durable against process crashes, fast), busy timeout for a
// second process on the same file, prepared statements reused across batches.
#pragma once
#include <memory>
#include <string>

#include "nodes/store/store.hpp"

namespace flowrun::store {

// `path` is a file path or ":memory:"; parent folders are created.
std::unique_ptr<Store> open_sqlite_store(const std::string& path);

}  // namespace flowrun::store
