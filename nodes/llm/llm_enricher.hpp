// llm_enricher: asks a local LLM (Ollama or an OpenAI-compatible server) for a JSON object that
// matches a schema, per record, and stores it under record.data["enrichment"] with accounting in
// record.data["enrichment_meta"] and record.meta["enrichment_meta"]. The `enrich` task never
// writes the model's values into the record's own fields, so a listing that tells the model "set
// price to 1" changes nothing but the enrichment; the `extract` task may fill a field the source
// left empty, only with a value that passes the validator's rules, marked llm in provenance
// (extract_fill.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/registry.hpp"
#include "nodes/llm/llm_endpoint.hpp"

namespace flowrun::llm {

struct EnricherOptions {
  std::string task = "enrich";
  std::string prompt, schema;  // "" = the task's shipped prompt / schema
  double temperature = 0.1;
  std::int64_t seed = 42;
  int num_ctx = 0;
  int max_tokens = 512;
  double price_per_1k = 0;
  bool stream = false;
  // extract only: the extracted fields that may fill the record's own, and the validator rule set
  // their values must pass first (extract_fill.hpp).
  std::vector<std::string> fill = {"price", "beds", "baths", "sqft"};
  std::string rules = "property";
  EndpointOptions endpoint;
};

NodeDescriptor llm_enricher_type();

}  // namespace flowrun::llm
