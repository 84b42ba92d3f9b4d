#include "nodes/builtin.hpp"

#include "builtin_families.inc"  // generated: one register_<family>_nodes call per node folder built

namespace flowrun {

void register_builtin_nodes(Registry& r) { register_families(r); }

}  // namespace flowrun
