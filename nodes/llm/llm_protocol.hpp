// The wire formats of the two server families we speak: Ollama (/api/chat, /api/embed,
// /api/tags) and OpenAI-compatible servers (/v1/chat/completions, /v1/embeddings, /v1/models:
// llama.cpp's llama-server, vLLM, LM Studio, Ollama's /v1). Pure functions, no I/O, so every
// reply shape (streamed or not, error bodies, malformed JSON) is unit-tested without a server.
#pragma once
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace flowrun::llm {

enum class Provider { ollama, openai };
Provider parse_provider(const std::string& name);  // throws std::invalid_argument
const char* default_base_url(Provider p);

// The server answered something we cannot read (not JSON, wrong shape, stream without `done`).
struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ChatRequest {
  std::string model;
  std::string system;
  std::string user;
  boost::json::value schema;  // null = free text
  double temperature = 0.1;
  std::optional<std::int64_t> seed;
  std::optional<std::int64_t> num_ctx;
  std::optional<std::int64_t> max_tokens;
  bool stream = false;
};

std::string chat_path(Provider p);
std::string build_chat_body(Provider p, const ChatRequest& req);

struct ChatReply {
  std::string content;  // the assistant's text (concatenated over stream chunks)
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  double server_ms = 0;  // Ollama's total_duration, when given
  // How long the server worked on the request, from when it took it up to its last token
  // (llama.cpp's timings.prompt_ms + predicted_ms, Ollama's prompt_eval_duration +
  // eval_duration); 0 when the server does not say. The rest of the round trip was spent
  // waiting for a free slot (or on the wire): what the adaptive limit needs to tell a server
  // that queues from one that shares its CPU among its slots (engine/adaptive_limit.hpp).
  double service_ms = 0;
  std::string finish_reason;
};

// Parses a whole reply body: one JSON object, Ollama NDJSON stream, or OpenAI SSE stream.
// Throws ProtocolError on anything else, and on an {"error": ...} body.
ChatReply parse_chat_reply(Provider p, const std::string& body);

// The model's content as JSON: tolerates a ```json fence and text around one object.
// Throws ProtocolError with the reason when no JSON object can be read.
boost::json::value parse_json_content(const std::string& content);

// {"error":"..."} (Ollama) or {"error":{"message":...}} (OpenAI) -> the message; "" otherwise.
std::string error_message(const std::string& body);

// Model names a server lists (/api/tags or /v1/models).
std::vector<std::string> parse_model_list(Provider p, const std::string& body);
// Ollama names carry a tag; "llama3.2" means "llama3.2:latest".
bool model_listed(const std::vector<std::string>& names, const std::string& model);

std::string models_path(Provider p);
std::string embed_path(Provider p);
std::string build_embed_body(Provider p, const std::string& model, const std::vector<std::string>& inputs);
std::vector<std::vector<double>> parse_embed_reply(Provider p, const std::string& body);

// At most `n` characters of a reply, for error messages.
std::string truncate_for_error(const std::string& text, std::size_t n = 300);

}  // namespace flowrun::llm
