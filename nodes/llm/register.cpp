#include "nodes/llm/register.hpp"

#include "nodes/llm/embedder.hpp"
#include "nodes/llm/llm_enricher.hpp"

namespace flowrun {

void register_llm_nodes(Registry& registry) {
  registry.add(llm::llm_enricher_type());
  registry.add(llm::embedder_type());
}

}  // namespace flowrun
