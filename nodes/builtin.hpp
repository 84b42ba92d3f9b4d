// Registers every node type shipped with flowrun (explicitly, DuckDB style).
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_builtin_nodes(Registry& registry);
}
