#include "nodes/llm/llm_endpoint.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "engine/context.hpp"
#include "engine/resources.hpp"

namespace flowrun::llm {

OnUnavailable parse_on_unavailable(const std::string& s) {
  if (s == "pass_through") return OnUnavailable::pass_through;
  if (s == "dead_letter") return OnUnavailable::dead_letter;
  if (s == "rules") return OnUnavailable::rules;
  throw std::invalid_argument("on_unavailable must be pass_through, dead_letter or rules, not \"" + s + "\"");
}

const char* to_string(OnUnavailable u) {
  switch (u) {
    case OnUnavailable::pass_through: return "pass_through";
    case OnUnavailable::dead_letter: return "dead_letter";
    case OnUnavailable::rules: return "rules";
  }
  return "?";
}

OptionTable<EndpointOptions> endpoint_table(const std::string& fields_doc,
                                            const std::vector<std::string>& on_unavailable_choices,
                                            const std::string& on_unavailable_doc) {
  using E = EndpointOptions;
  OptionTable<E> t;
  t.add("provider", &E::provider, "server protocol: ollama (/api/*) or openai (/v1/*: llama-server, vLLM, LM Studio)")
      .choices({"ollama", "openai"});
  t.add("base_url", &E::base_url, "server URL; default http://localhost:11434 (ollama) or http://localhost:8080 (openai)");
  t.add("model", &E::model, "model name as the server lists it");
  t.add("api_key", &E::api_key, "bearer key for openai-compatible servers; use ${env.X}").secret();
  t.add("breaker", &E::breaker, "name of a resources.breakers entry shared with other LLM nodes").breaker();
  t.add("budget", &E::budget, "name of a resources.budgets entry; tokens are spent from it").budget();
  t.add("on_unavailable", &E::on_unavailable, on_unavailable_doc).choices(on_unavailable_choices);
  t.add("cache", &E::cache, "reuse replies from the store's llm_cache");
  t.add("cache_ttl", &E::cache_ttl, "how long a cached reply stays valid");
  t.add("fields", &E::fields, fields_doc);
  t.add("max_field_chars", &E::max_field_chars, "each field is cut to this many characters (HTML stripped)")
      .range(16, 1'000'000);
  t.include(&E::http, http::client_option_group());
  t.validate([](const E& o, Check& check) {
    if (!o.base_url.empty() && o.base_url.rfind("http://", 0) != 0 && o.base_url.rfind("https://", 0) != 0)
      check.error("base_url", "must start with http:// or https://, got '" + o.base_url + "'");
  });
  return t;
}

EndpointSettings settings_of(const EndpointOptions& o, const std::vector<std::string>& default_fields) {
  EndpointSettings s;
  s.provider = parse_provider(o.provider);
  s.base_url = o.base_url.empty() ? default_base_url(s.provider) : o.base_url;
  while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
  s.model = o.model;
  s.api_key = o.api_key;
  s.breaker = o.breaker;
  s.budget = o.budget;
  s.on_unavailable = parse_on_unavailable(o.on_unavailable);
  s.cache = o.cache;
  s.cache_ttl = std::chrono::duration_cast<std::chrono::seconds>(o.cache_ttl);
  s.fields = o.fields.empty() ? default_fields : o.fields;
  s.max_field_chars = static_cast<std::size_t>(o.max_field_chars);
  return s;
}

Endpoint::Endpoint(const EndpointOptions& opts, const EndpointSettings& s, const std::string& node_id, RunContext& ctx)
    : s_(s) {
  http::ClientOptions o = http::client_options(opts.http, NodeInfo{node_id, "", "", {}}, ctx);
  if (!s.api_key.empty()) o.secrets.push_back(s.api_key);
  // The probe must answer fast: a missing server is reported once, not after minutes of retries.
  http::ClientOptions p = o;
  p.retry.max_attempts = 1;
  p.timeout = std::min(o.timeout, std::chrono::milliseconds(5000));
  p.connect_timeout = std::min(o.connect_timeout, std::chrono::milliseconds(3000));
  p.rate_limit = nullptr;
  client_ = std::make_unique<http::Client>(std::move(o));
  probe_client_ = std::make_unique<http::Client>(std::move(p));
}

std::vector<std::pair<std::string, std::string>> Endpoint::headers() const {
  std::vector<std::pair<std::string, std::string>> h{{"Content-Type", "application/json"},
                                                     {"Accept", "application/json"}};
  if (!s_.api_key.empty()) h.emplace_back("Authorization", "Bearer " + s_.api_key);
  return h;
}

http::Response Endpoint::post(const std::string& path, const std::string& body, int* attempt) {
  http::Request req;
  req.attempt = attempt;
  req.method = "POST";
  req.url = s_.base_url + path;
  req.headers = headers();
  req.body = body;
  return client_->send(req);
}

std::string Endpoint::probe() {
  const char* kind = s_.provider == Provider::ollama ? "Ollama server" : "OpenAI-compatible server";
  auto get = [&](const std::string& path) {
    http::Request req;
    req.url = s_.base_url + path;
    req.headers = headers();
    return probe_client_->send(req);
  };
  try {
    if (s_.provider == Provider::ollama) {
      auto v = get("/api/version");
      if (v.status != 200)
        return fmt::format("{} at {} answered /api/version with HTTP {}", kind, s_.base_url, v.status);
    }
    auto r = get(models_path(s_.provider));
    if (r.status == 401 || r.status == 403)
      return fmt::format("{} at {} refused the API key (HTTP {} on {})", kind, s_.base_url, r.status,
                         models_path(s_.provider));
    if (r.status != 200) {
      std::string msg = error_message(r.body);
      return fmt::format("{} at {} answered {} with HTTP {}{}", kind, s_.base_url, models_path(s_.provider),
                         r.status, msg.empty() ? "" : ": " + msg);
    }
    auto names = parse_model_list(s_.provider, r.body);
    if (!model_listed(names, s_.model)) {
      std::string have;
      for (std::size_t i = 0; i < names.size() && i < 8; ++i) have += (i ? ", " : "") + names[i];
      return fmt::format("model \"{}\" is not available at {} (it has: {}){}", s_.model, s_.base_url,
                         have.empty() ? "none" : have,
                         s_.provider == Provider::ollama ? fmt::format("; run `ollama pull {}`", s_.model) : "");
    }
    return "";
  } catch (const http::TransportError& e) {
    return fmt::format("no {} at {}: {}", kind, s_.base_url, client_->redact(e.what()));
  } catch (const ProtocolError& e) {
    return fmt::format("{} at {} sent an unreadable model list: {}", kind, s_.base_url, e.what());
  }
}

std::string probe_endpoint(const EndpointOptions& o, const NodeInfo& node, const Settings& settings) {
  // A check asks the real server: no cassettes, and the run's rate limits are not built here.
  Settings live = settings;
  live.erase("http.record");
  live.erase("http.replay");
  auto resources = Resources::from_yaml(YAML::Node(YAML::NodeType::Map));
  RunContext ctx("check-env", "check-env", *resources, live);
  EndpointOptions quick = o;
  quick.http.rate_limit.clear();
  Endpoint endpoint(quick, settings_of(quick, {}), node.id, ctx);
  return endpoint.probe();
}

}  // namespace flowrun::llm
