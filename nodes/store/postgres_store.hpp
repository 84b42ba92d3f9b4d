// PostgreSQL store over libpq: prepared statements, one transaction per batch, whole batches
// sent as arrays (unnest) with INSERT ... ON CONFLICT, so a batch of 500 is a handful of round
// trips rather than 500. Row locks (SELECT ... FOR UPDATE) keep counts right when several
// machines write the same store.
#pragma once
#include <memory>
#include <string>

#include "nodes/store/store.hpp"

namespace flowrun::store {

std::unique_ptr<Store> open_postgres_store(const std::string& url);

// `{"a","b\"c",NULL}`: a PostgreSQL array literal of text (nullopt -> NULL).
std::string pg_text_array(const std::vector<std::optional<std::string>>& items);
// `?` placeholders -> `$1, $2, ...` (outside quoted strings).
std::string pg_placeholders(const std::string& sql);

}  // namespace flowrun::store
