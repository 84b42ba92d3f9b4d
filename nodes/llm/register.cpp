#include "nodes/llm/register.hpp"

#include "nodes/http/probe.hpp"
#include "nodes/llm/embedder.hpp"
#include "nodes/llm/llm_endpoint.hpp"
#include "nodes/llm/llm_enricher.hpp"

namespace flowrun {

namespace {

// `flowrun check --env`: the same server-and-model check the node makes when a run starts.
std::string probe_llm(const NodeConfig& cfg, const std::map<std::string, std::string>& settings) {
  http::ProbeRun run(cfg, settings);
  llm::Endpoint endpoint(run.config, llm::read_endpoint_settings(run.config), *run.ctx);
  return endpoint.probe();
}

}  // namespace

void register_llm_nodes(Registry& registry) {
  NodeDescriptor enricher;
  enricher.type = "llm_enricher";
  enricher.role = Role::transform;
  enricher.description =
      "Asks a local LLM (Ollama or OpenAI-compatible) for schema-checked JSON per record (task enrich or "
      "extract); cached in the store, budgeted, behind a circuit breaker, with a fallback when the LLM is down";
  enricher.options = llm::enricher_option_specs();
  enricher.blocking_io = true;
  enricher.default_concurrency = 2;
  enricher.probe = probe_llm;
  enricher.factory = [](const NodeConfig& cfg) -> std::unique_ptr<Node> { return llm::make_llm_enricher(cfg); };
  registry.add(std::move(enricher));

  NodeDescriptor embedder;
  embedder.type = "embedder";
  embedder.role = Role::transform;
  embedder.description =
      "Adds an embedding vector of a record's text fields (Ollama /api/embed or OpenAI /v1/embeddings), batched";
  embedder.options = llm::embedder_option_specs();
  embedder.blocking_io = true;
  embedder.default_concurrency = 1;
  embedder.probe = probe_llm;
  embedder.factory = [](const NodeConfig& cfg) -> std::unique_ptr<Node> { return llm::make_embedder(cfg); };
  registry.add(std::move(embedder));
}

}  // namespace flowrun
