// Registers the LLM node types (llm_enricher, embedder); called from nodes/builtin.cpp.
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_llm_nodes(Registry& registry);
}
