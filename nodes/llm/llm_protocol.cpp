#include "nodes/llm/llm_protocol.hpp"
#include "engine/json_text.hpp"

#include <fmt/format.h>

#include <sstream>

namespace flowrun::llm {
namespace json = boost::json;

Provider parse_provider(const std::string& name) {
  if (name == "ollama") return Provider::ollama;
  if (name == "openai") return Provider::openai;
  throw std::invalid_argument("provider must be ollama or openai, not \"" + name + "\"");
}

const char* default_base_url(Provider p) {
  return p == Provider::ollama ? "http://localhost:11434" : "http://localhost:8080";
}

std::string chat_path(Provider p) { return p == Provider::ollama ? "/api/chat" : "/v1/chat/completions"; }
std::string models_path(Provider p) { return p == Provider::ollama ? "/api/tags" : "/v1/models"; }
std::string embed_path(Provider p) { return p == Provider::ollama ? "/api/embed" : "/v1/embeddings"; }

std::string build_chat_body(Provider p, const ChatRequest& req) {
  json::array messages;
  if (!req.system.empty()) messages.push_back(json::object{{"role", "system"}, {"content", req.system}});
  messages.push_back(json::object{{"role", "user"}, {"content", req.user}});
  json::object body{{"model", req.model}, {"messages", std::move(messages)}, {"stream", req.stream}};
  if (p == Provider::ollama) {
    json::object options{{"temperature", req.temperature}};
    if (req.seed) options["seed"] = *req.seed;
    if (req.num_ctx) options["num_ctx"] = *req.num_ctx;
    if (req.max_tokens) options["num_predict"] = *req.max_tokens;
    body["options"] = std::move(options);
    if (!req.schema.is_null()) body["format"] = req.schema;  // structured outputs
  } else {
    body["temperature"] = req.temperature;
    if (req.seed) body["seed"] = *req.seed;
    if (req.max_tokens) body["max_tokens"] = *req.max_tokens;
    if (!req.schema.is_null())
      body["response_format"] = json::object{
          {"type", "json_schema"},
          {"json_schema", json::object{{"name", "output"}, {"strict", true}, {"schema", req.schema}}}};
  }
  return to_json_text(body);
}

std::string truncate_for_error(const std::string& text, std::size_t n) {
  if (text.size() <= n) return text;
  return text.substr(0, n) + fmt::format("... ({} bytes)", text.size());
}

std::string error_message(const std::string& body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  auto* e = v.get_object().if_contains("error");
  if (!e) return "";
  if (e->is_string()) return std::string(e->get_string());
  if (e->is_object())
    if (auto* m = e->get_object().if_contains("message"); m && m->is_string()) return std::string(m->get_string());
  return to_json_text(*e);
}

namespace {

std::int64_t int_or(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return 0;
}

json::object parse_object(std::string_view text, const char* what) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) throw ProtocolError(fmt::format("{} is not JSON ({}): {}", what, ec.message(),
                                          truncate_for_error(std::string(text), 200)));
  if (!v.is_object()) throw ProtocolError(fmt::format("{} is not a JSON object", what));
  auto& o = v.get_object();
  if (auto* e = o.if_contains("error")) {
    std::string msg = e->is_string() ? std::string(e->get_string()) : error_message(std::string(text));
    throw ProtocolError("server error: " + msg);
  }
  return std::move(o);
}

// Ollama: one object per line; usage and durations ride on the last (done:true) one.
void absorb_ollama(const json::object& o, ChatReply& r, bool& done) {
  if (auto* m = o.if_contains("message"); m && m->is_object())
    if (auto* c = m->get_object().if_contains("content"); c && c->is_string()) r.content += c->get_string();
  if (auto* c = o.if_contains("response"); c && c->is_string()) r.content += c->get_string();  // /api/generate
  if (auto* d = o.if_contains("done"); d && d->is_bool() && d->get_bool()) {
    done = true;
    r.prompt_tokens = int_or(o, "prompt_eval_count");
    r.completion_tokens = int_or(o, "eval_count");
    r.server_ms = static_cast<double>(int_or(o, "total_duration")) / 1e6;
    r.service_ms = static_cast<double>(int_or(o, "prompt_eval_duration") + int_or(o, "eval_duration")) / 1e6;
    if (auto* dr = o.if_contains("done_reason"); dr && dr->is_string()) r.finish_reason = dr->get_string();
  }
}

// OpenAI: a full completion has choices[0].message; a stream chunk has choices[0].delta.
void absorb_openai(const json::object& o, ChatReply& r) {
  if (auto* ch = o.if_contains("choices"); ch && ch->is_array() && !ch->get_array().empty()) {
    auto& c0 = ch->get_array()[0];
    if (c0.is_object()) {
      for (const char* k : {"message", "delta"})
        if (auto* m = c0.get_object().if_contains(k); m && m->is_object())
          if (auto* c = m->get_object().if_contains("content"); c && c->is_string()) r.content += c->get_string();
      if (auto* fr = c0.get_object().if_contains("finish_reason"); fr && fr->is_string())
        r.finish_reason = fr->get_string();
    }
  }
  if (auto* u = o.if_contains("usage"); u && u->is_object()) {
    r.prompt_tokens = int_or(u->get_object(), "prompt_tokens");
    r.completion_tokens = int_or(u->get_object(), "completion_tokens");
  }
  // llama.cpp's own extension; on a stream it rides on the last chunk.
  if (auto* t = o.if_contains("timings"); t && t->is_object()) {
    double ms = 0;
    for (const char* k : {"prompt_ms", "predicted_ms"})
      if (auto* v = t->get_object().if_contains(k); v && (v->is_double() || v->is_int64() || v->is_uint64()))
        ms += v->to_number<double>();
    r.service_ms = ms;
  }
}

}  // namespace

ChatReply parse_chat_reply(Provider p, const std::string& body) {
  ChatReply r;
  std::string_view text = body;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  if (text.empty()) throw ProtocolError("empty reply body");

  if (p == Provider::openai && text.substr(0, 5) == "data:") {
    std::istringstream lines(body);
    std::string line;
    bool finished = false, any = false;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) != 0) continue;
      std::string_view payload = std::string_view(line).substr(5);
      while (!payload.empty() && payload.front() == ' ') payload.remove_prefix(1);
      if (payload == "[DONE]") {
        finished = true;
        break;
      }
      absorb_openai(parse_object(payload, "stream chunk"), r);
      any = true;
    }
    if (!any || !finished) throw ProtocolError("stream ended without data: [DONE]");
    return r;
  }

  // One object (possibly pretty-printed), or Ollama's NDJSON stream (one object per line).
  {
    json::error_code ec;
    auto whole = json::parse(text, ec);
    if (!ec && whole.is_object()) {
      auto o = parse_object(text, "reply");
      bool done = false;
      if (p == Provider::ollama) absorb_ollama(o, r, done);
      else absorb_openai(o, r), done = o.contains("choices");
      if (!done) throw ProtocolError(p == Provider::ollama ? "reply ended before \"done\": true" : "reply has no choices");
      return r;
    }
  }
  std::istringstream lines(body);
  std::string line;
  bool done = false;
  int objects = 0;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto o = parse_object(line, objects ? "stream line" : "reply");
    ++objects;
    if (p == Provider::ollama) absorb_ollama(o, r, done);
    else absorb_openai(o, r), done = true;
  }
  if (objects == 0) throw ProtocolError("empty reply body");
  if (!done) throw ProtocolError(p == Provider::ollama ? "reply ended before \"done\": true"
                                                       : "reply has no choices");
  return r;
}

json::value parse_json_content(const std::string& content) {
  std::string_view t = content;
  // Models fence JSON in markdown even when told not to; servers with a schema never do.
  if (auto f = t.find("```"); f != std::string_view::npos) {
    auto nl = t.find('\n', f);
    auto end = nl == std::string_view::npos ? std::string_view::npos : t.find("```", nl);
    if (end != std::string_view::npos) t = t.substr(nl + 1, end - nl - 1);
  }
  auto b = t.find('{');
  auto e = t.rfind('}');
  if (b == std::string_view::npos || e == std::string_view::npos || e < b)
    throw ProtocolError("reply contains no JSON object");
  json::error_code ec;
  auto v = json::parse(t.substr(b, e - b + 1), ec);
  if (ec) throw ProtocolError("reply is not valid JSON: " + ec.message());
  return v;
}

std::vector<std::string> parse_model_list(Provider p, const std::string& body) {
  auto o = parse_object(body, "model list");
  std::vector<std::string> out;
  const char* list_key = p == Provider::ollama ? "models" : "data";
  auto* list = o.if_contains(list_key);
  if (!list || !list->is_array()) throw ProtocolError(fmt::format("model list has no \"{}\" array", list_key));
  for (auto& m : list->get_array()) {
    if (!m.is_object()) continue;
    for (const char* k : {"name", "model", "id"})
      if (auto* n = m.get_object().if_contains(k); n && n->is_string()) {
        out.emplace_back(n->get_string());
        break;
      }
  }
  return out;
}

bool model_listed(const std::vector<std::string>& names, const std::string& model) {
  for (auto& n : names) {
    if (n == model) return true;
    if (model.find(':') == std::string::npos && n == model + ":latest") return true;
    if (n.find(':') == std::string::npos && model == n + ":latest") return true;
  }
  return false;
}

std::string build_embed_body(Provider p, const std::string& model, const std::vector<std::string>& inputs) {
  json::array in;
  for (auto& s : inputs) in.push_back(json::value(s));
  (void)p;  // both take {"model", "input": [...]}
  return to_json_text(json::object{{"model", model}, {"input", std::move(in)}});
}

std::vector<std::vector<double>> parse_embed_reply(Provider p, const std::string& body) {
  auto o = parse_object(body, "embedding reply");
  std::vector<std::vector<double>> out;
  auto to_vec = [](const json::value& v) {
    if (!v.is_array()) throw ProtocolError("embedding is not an array");
    std::vector<double> vec;
    vec.reserve(v.get_array().size());
    for (auto& x : v.get_array()) {
      if (x.is_double()) vec.push_back(x.get_double());
      else if (x.is_int64()) vec.push_back(static_cast<double>(x.get_int64()));
      else throw ProtocolError("embedding holds a non-number");
    }
    return vec;
  };
  if (p == Provider::ollama) {
    auto* e = o.if_contains("embeddings");
    if (!e || !e->is_array()) throw ProtocolError("embedding reply has no \"embeddings\" array");
    for (auto& v : e->get_array()) out.push_back(to_vec(v));
  } else {
    auto* d = o.if_contains("data");
    if (!d || !d->is_array()) throw ProtocolError("embedding reply has no \"data\" array");
    out.resize(d->get_array().size());
    std::size_t next = 0;
    for (auto& item : d->get_array()) {
      if (!item.is_object() || !item.get_object().contains("embedding"))
        throw ProtocolError("embedding item has no \"embedding\"");
      // Items carry their index; servers may answer out of order.
      std::size_t idx = next++;
      if (auto* i = item.get_object().if_contains("index"); i && i->is_int64()) idx = static_cast<std::size_t>(i->get_int64());
      if (idx >= out.size()) throw ProtocolError("embedding index out of range");
      out[idx] = to_vec(item.get_object().at("embedding"));
    }
  }
  return out;
}

}  // namespace flowrun::llm
