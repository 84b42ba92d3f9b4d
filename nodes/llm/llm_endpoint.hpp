// What llm_enricher and embedder share: the options that name a server and a model, the policy
// when it is unavailable (a typed group both tables include), and the endpoint object that probes
// the server once at open() and then posts requests through the shared HTTP client (retries,
// backoff, redaction, cassettes).
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/option_table.hpp"
#include "engine/registry.hpp"
#include "nodes/http/client_options.hpp"
#include "nodes/llm/llm_protocol.hpp"

namespace flowrun {
class RunContext;
}

namespace flowrun::llm {

enum class OnUnavailable { pass_through, dead_letter, rules };
OnUnavailable parse_on_unavailable(const std::string& s);
const char* to_string(OnUnavailable u);

// A local model answers slowly under load, and retrying a stuck generation is expensive.
inline http::HttpOptions llm_client_defaults() {
  http::HttpOptions s;
  s.timeout = std::chrono::seconds(120);
  s.retries = 2;
  return s;
}

// The options both node types share, as the pipeline file gives them.
struct EndpointOptions {
  std::string provider = "ollama";
  std::string base_url;  // "" = the provider's default
  std::string model = "llama3.2:latest";
  std::string api_key;   // secret: only ever sent as a header, redacted everywhere else
  std::string breaker, budget;
  std::string on_unavailable = "pass_through";
  bool cache = true;
  std::chrono::milliseconds cache_ttl = std::chrono::hours(24 * 30);
  std::vector<std::string> fields;  // empty = the node type's default fields
  int max_field_chars = 1500;
  http::HttpOptions http = llm_client_defaults();
};

// The shared table; the node types differ in the doc of `fields` and which fallbacks they offer.
OptionTable<EndpointOptions> endpoint_table(const std::string& fields_doc,
                                            const std::vector<std::string>& on_unavailable_choices,
                                            const std::string& on_unavailable_doc);

// The options as the node uses them: provider parsed, base_url defaulted, default fields filled in.
struct EndpointSettings {
  Provider provider = Provider::ollama;
  std::string base_url;  // no trailing slash
  std::string model, api_key, breaker, budget;
  OnUnavailable on_unavailable = OnUnavailable::pass_through;
  bool cache = true;
  std::chrono::seconds cache_ttl{30 * 24 * 3600};
  std::vector<std::string> fields;
  std::size_t max_field_chars = 1500;
};
EndpointSettings settings_of(const EndpointOptions& o, const std::vector<std::string>& default_fields);

class Endpoint {
 public:
  Endpoint(const EndpointOptions& o, const EndpointSettings& s, const std::string& node_id, RunContext& ctx);

  // Checks the server and the model. Returns "" when usable, else ONE line saying what is wrong
  // ("no Ollama server at http://...: Connection refused").
  std::string probe();

  // POSTs JSON to base_url + path with auth. Throws http::TransportError when no answer came.
  // `attempt`: the record's Envelope::attempt, raised by one per HTTP retry (null: none).
  http::Response post(const std::string& path, const std::string& body, int* attempt = nullptr);
  std::string redact(std::string s) const { return client_->redact(std::move(s)); }
  const std::string& base_url() const { return s_.base_url; }

 private:
  std::vector<std::pair<std::string, std::string>> headers() const;
  EndpointSettings s_;
  std::unique_ptr<http::Client> client_, probe_client_;
};

// `flowrun check --env`: the server-and-model check a node makes when a run starts, outside a run
// (no rate limit, no cassettes).
std::string probe_endpoint(const EndpointOptions& o, const NodeInfo& node, const Settings& settings);

}  // namespace flowrun::llm
