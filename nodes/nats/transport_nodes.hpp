// The two ends of a cross-group edge, made by the engine's cluster expansion (never written in a
// pipeline): a publishing sink in the producer's group and a consuming source in the consumer's.
#pragma once
#include "engine/registry.hpp"

namespace flowrun::nats {

NodeDescriptor publisher_descriptor();
NodeDescriptor subscriber_descriptor();

// Counter names in the summary, per edge label ("normalize -> llm").
std::string published_counter(const std::string& edge_label);

}  // namespace flowrun::nats
