// The transform family: `filter`, `route` and `map`, whose conditions and values are Lua
// expressions run in a sandboxed LuaJIT (docs/pipeline.md, "Filter, route and map"), and
// `chunker`, which cuts long text into chunks for an embedder.
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_transform_nodes(Registry& registry);
}
