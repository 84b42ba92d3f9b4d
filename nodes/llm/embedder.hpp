// embedder: turns a few trimmed text fields of each record into a vector (Ollama /api/embed or
// OpenAI-compatible /v1/embeddings), batched `batch_size` records per request, stored under
// record.data["embedding"] with record.data["embedding_model"]; used later to find duplicate
// listings. A record waiting for its batch is held (engine/node.hpp) and released with it.
#pragma once
#include "engine/registry.hpp"
#include "nodes/llm/llm_endpoint.hpp"

namespace flowrun::llm {

struct EmbedderOptions {
  int batch_size = 16;
  EndpointOptions endpoint = [] {
    EndpointOptions e;
    e.model = "nomic-embed-text:latest";
    return e;
  }();
};

NodeDescriptor embedder_type();

}  // namespace flowrun::llm
