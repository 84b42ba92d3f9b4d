// Versioned schema migrations, one list per dialect. A migration is applied once, in its own
// transaction, and recorded in `schema_version`; never edit a shipped migration, append one.
#pragma once
#include <string>
#include <vector>

namespace flowrun::store {

struct Migration {
  int version;
  const char* description;
  const char* sql;  // several statements, separated by ';'
};

const std::vector<Migration>& sqlite_migrations();
const std::vector<Migration>& postgres_migrations();

}  // namespace flowrun::store
