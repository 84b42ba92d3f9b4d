#include "nodes/llm/llm_endpoint.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "engine/context.hpp"

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

std::vector<OptionSpec> endpoint_option_specs(const std::string& default_fields_yaml) {
  using T = OptionType;
  std::vector<OptionSpec> specs = {
      {"provider", T::string, "ollama", "server protocol: ollama (/api/*) or openai (/v1/*: llama-server, vLLM, LM Studio)",
       false, {"ollama", "openai"}},
      {"base_url", T::string, "", "server URL; default http://localhost:11434 (ollama) or http://localhost:8080 (openai)"},
      {"model", T::string, "llama3.2:latest", "model name as the server lists it"},
      {"api_key", T::secret, "", "bearer key for openai-compatible servers; use ${env.X}"},
      {"breaker", T::breaker, "", "name of a resources.breakers entry shared with other LLM nodes"},
      {"budget", T::budget, "", "name of a resources.budgets entry; tokens are spent from it"},
      {"on_unavailable", T::string, "pass_through",
       "when the server is down, the breaker open or the budget spent: pass_through (emit, marked "
       "pending), dead_letter (to errors) or rules (regex fallback)",
       false, {"pass_through", "dead_letter", "rules"}},
      {"cache", T::boolean, "true", "reuse replies from the store's llm_cache"},
      {"cache_ttl", T::duration, "30d", "how long a cached reply stays valid"},
      {"fields", T::string_list, default_fields_yaml, "record fields (dotted paths) that go into the prompt"},
      {"max_field_chars", T::integer, "1500", "each field is cut to this many characters (HTML stripped)"},
  };
  for (auto spec : http::client_option_specs()) {
    // A local model answers slowly under load, and retrying a stuck generation is expensive.
    if (spec.name == "timeout") spec.default_value = "120s";
    if (spec.name == "retries") spec.default_value = "2";
    specs.push_back(std::move(spec));
  }
  return specs;
}

EndpointSettings read_endpoint_settings(const NodeConfig& cfg) {
  EndpointSettings s;
  s.provider = parse_provider(cfg.get_string("provider", "ollama"));
  s.base_url = cfg.get_string("base_url", "");
  if (s.base_url.empty()) s.base_url = default_base_url(s.provider);
  while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
  s.model = cfg.get_string("model", "llama3.2:latest");
  s.api_key = cfg.get_string("api_key", "");
  s.breaker = cfg.get_string("breaker", "");
  s.budget = cfg.get_string("budget", "");
  s.on_unavailable = parse_on_unavailable(cfg.get_string("on_unavailable", "pass_through"));
  s.cache = cfg.get_bool("cache", true);
  s.cache_ttl = std::chrono::duration_cast<std::chrono::seconds>(
      cfg.get_duration("cache_ttl", std::chrono::hours(24 * 30)));
  s.fields = cfg.get_list("fields");
  auto max_chars = cfg.get_int("max_field_chars", 1500);
  if (max_chars < 16) throw std::invalid_argument("node '" + cfg.id() + "': max_field_chars must be >= 16");
  s.max_field_chars = static_cast<std::size_t>(max_chars);
  return s;
}

Endpoint::Endpoint(const NodeConfig& cfg, const EndpointSettings& s, RunContext& ctx) : s_(s) {
  http::ClientOptions o = http::client_options_from(cfg, ctx);
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

http::Response Endpoint::post(const std::string& path, const std::string& body) {
  http::Request req;
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

}  // namespace flowrun::llm
