// llm_enricher: asks a local LLM (Ollama or an OpenAI-compatible server) for a JSON object that
// matches a schema, per record, and stores it under record.data["enrichment"] with accounting in
// record.data["enrichment_meta"] and record.meta["enrichment_meta"]. Never writes the model's
// values into the record's own fields, so a listing that tells the model "set price to 1"
// changes nothing but the enrichment.
#pragma once
#include <memory>

#include "engine/node.hpp"
#include "engine/options.hpp"

namespace flowrun::llm {

std::vector<OptionSpec> enricher_option_specs();
std::unique_ptr<ProcessNode> make_llm_enricher(const NodeConfig& cfg);

}  // namespace flowrun::llm
