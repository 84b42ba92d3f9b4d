// The `normalizer` node type (raw source records -> canonical property records).
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_normalizer_nodes(Registry& registry);
}
