// embedder: turns a few trimmed text fields of each record into a vector (Ollama /api/embed or
// OpenAI-compatible /v1/embeddings), batched `batch_size` records per request, stored under
// record.data["embedding"] with record.data["embedding_model"]; used later to find duplicate
// listings.
#pragma once
#include <memory>

#include "engine/node.hpp"
#include "engine/options.hpp"

namespace flowrun::llm {

std::vector<OptionSpec> embedder_option_specs();
std::unique_ptr<ProcessNode> make_embedder(const NodeConfig& cfg);

}  // namespace flowrun::llm
