// The `report` sink: writes the store's report (json, csv or html) when the run's data is in.
#pragma once
#include "engine/registry.hpp"

namespace flowrun {
void register_report_nodes(Registry& registry);
}
