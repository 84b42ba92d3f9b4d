// The Maricopa County Assessor API source (`maricopa_api`).
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_maricopa_nodes(Registry& registry);
}
