#pragma once
#include "engine/registry.hpp"

namespace flowrun {
// The NATS JetStream cluster transport (docs/cluster.md): `cluster:`, `flowrun worker`.
void register_nats_nodes(Registry& registry);
}
