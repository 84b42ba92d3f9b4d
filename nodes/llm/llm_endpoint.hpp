// What llm_enricher and embedder share: the options that name a server and a model, the policy
// when it is unavailable, and the endpoint object that probes the server once at open() and then
// posts requests through the shared HTTP client (retries, backoff, redaction, cassettes).
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/options.hpp"
#include "nodes/http/http_client.hpp"
#include "nodes/llm/llm_protocol.hpp"

namespace flowrun {
class RunContext;
}

namespace flowrun::llm {

enum class OnUnavailable { pass_through, dead_letter, rules };
OnUnavailable parse_on_unavailable(const std::string& s);
const char* to_string(OnUnavailable u);

struct EndpointSettings {
  Provider provider = Provider::ollama;
  std::string base_url;  // no trailing slash
  std::string model;
  std::string api_key;   // secret: only ever sent as a header, redacted everywhere else
  std::string breaker, budget;
  OnUnavailable on_unavailable = OnUnavailable::pass_through;
  bool cache = true;
  std::chrono::seconds cache_ttl{30 * 24 * 3600};
  std::vector<std::string> fields;
  std::size_t max_field_chars = 1500;
};

// Option specs shared by both node types (provider, base_url, model, api_key, breaker, budget,
// on_unavailable, cache, cache_ttl, fields, max_field_chars) plus the HTTP client's options with
// LLM-friendly defaults (longer timeout, fewer retries).
std::vector<OptionSpec> endpoint_option_specs(const std::string& default_fields_yaml);
EndpointSettings read_endpoint_settings(const NodeConfig& cfg);

class Endpoint {
 public:
  Endpoint(const NodeConfig& cfg, const EndpointSettings& s, RunContext& ctx);

  // Checks the server and the model. Returns "" when usable, else ONE line saying what is wrong
  // ("no Ollama server at http://...: Connection refused").
  std::string probe();

  // POSTs JSON to base_url + path with auth. Throws http::TransportError when no answer came.
  http::Response post(const std::string& path, const std::string& body);
  std::string redact(std::string s) const { return client_->redact(std::move(s)); }
  const std::string& base_url() const { return s_.base_url; }

 private:
  std::vector<std::pair<std::string, std::string>> headers() const;
  EndpointSettings s_;
  std::unique_ptr<http::Client> client_, probe_client_;
};

}  // namespace flowrun::llm
