#pragma once
#include "engine/registry.hpp"

namespace flowrun {
// html_listings and csv_listings sources
void register_listings_nodes(Registry& registry);
}
