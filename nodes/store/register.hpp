// The store family: `store`, `changed_filter`, `dead_letter_store` nodes, the run ledger and the
// Prometheus textfile observer.
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_store_nodes(Registry& registry);
}
