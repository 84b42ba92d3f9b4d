// Helpers of the store nodes that tests reach directly.
#pragma once
#include <string>

#include "engine/record.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::store {

// A failed record as a dead_letters row: node and reason from the engine's error annotation
// (`meta.error {node, field, rule, reason}` or flat `meta.error_node` / `meta.error_reason`).
DeadLetterRow dead_letter_row(const Record& r, const std::string& run_id, const std::string& now);

}  // namespace flowrun::store
