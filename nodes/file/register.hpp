#pragma once
#include "engine/registry.hpp"

namespace flowrun {
// file source; jsonl, csv and dead_letter sinks
void register_file_nodes(Registry& registry);
}
