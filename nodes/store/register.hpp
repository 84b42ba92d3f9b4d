// The store family: `store`, `changed_filter`, `dead_letter_store` nodes, the run ledger and the
// retention observer (a pipeline's `retention:` prunes the store at the end of a run).
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_store_nodes(Registry& registry);
}
