#include "nodes/listings/register.hpp"

#include "nodes/listings/csv_listings_node.hpp"
#include "nodes/listings/html_listings_node.hpp"

namespace flowrun {

void register_listings_nodes(Registry& r) {
  r.add(listings::html_listings_descriptor());
  r.add(listings::csv_listings_descriptor());
}

}  // namespace flowrun
