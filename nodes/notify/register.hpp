// The `notify` sink: tells people how a run ended (webhook and/or e-mail), after the run.
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_notify_nodes(Registry& registry);
}
