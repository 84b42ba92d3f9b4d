// The `validator` node type (canonical records -> `out` with a quality score, or `rejected`).
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_validator_nodes(Registry& registry);
}
