#include "nodes/transform/register.hpp"

namespace flowrun {

namespace transform {
NodeDescriptor filter_descriptor();
NodeDescriptor route_descriptor();
NodeDescriptor map_descriptor();
NodeDescriptor chunker_descriptor();
}  // namespace transform

void register_transform_nodes(Registry& r) {
  r.add(transform::filter_descriptor());
  r.add(transform::route_descriptor());
  r.add(transform::map_descriptor());
  r.add(transform::chunker_descriptor());
}

}  // namespace flowrun
