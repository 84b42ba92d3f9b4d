// Fuzz target: what comes back from an LLM server is untrusted. The bytes are parsed as a chat
// reply of both providers (JSON, NDJSON stream, SSE stream), as model content (fenced JSON), as
// an error body, a model list and an embedding reply; parsed content is checked against the
// enrichment schema. Expected failures are ProtocolError; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "nodes/llm/json_schema.hpp"
#include "nodes/llm/llm_protocol.hpp"

using namespace flowrun::llm;
namespace json = boost::json;

namespace {
const json::value& schema() {
  static const json::value s = [] {
    std::ifstream in(FLOWRUN_SOURCE_DIR "/pipelines/schemas/enrichment.schema.json");
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto v = json::parse(ss.str(), ec);
    return ec ? json::value(json::object{{"type", "object"}}) : v;
  }();
  return s;
}

void check(const json::value& v) {
  (void)check_schema(v, schema());
  (void)check_schema(v, v);  // the input as a schema: odd schemas must not crash either
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (auto p : {Provider::ollama, Provider::openai}) {
    try {
      auto r = parse_chat_reply(p, body);
      try {
        check(parse_json_content(r.content));
      } catch (const ProtocolError&) {
      }
    } catch (const ProtocolError&) {
    }
    try {
      (void)parse_model_list(p, body);
    } catch (const ProtocolError&) {
    }
    try {
      (void)parse_embed_reply(p, body);
    } catch (const ProtocolError&) {
    }
  }
  try {
    check(parse_json_content(body));
  } catch (const ProtocolError&) {
  }
  (void)error_message(body);
  (void)truncate_for_error(body, 17);
  return 0;
}
