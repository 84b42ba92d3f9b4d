#include <catch2/catch.hpp>

#include "nodes/llm/llm_protocol.hpp"

using namespace flowrun::llm;
namespace json = boost::json;

TEST_CASE("chat bodies carry the schema where each protocol wants it") {
  ChatRequest r;
  r.model = "m";
  r.system = "sys";
  r.user = "hello";
  r.schema = json::parse(R"({"type":"object"})");
  r.seed = 42;
  r.num_ctx = 4096;
  auto o = json::parse(build_chat_body(Provider::ollama, r)).as_object();
  CHECK(o.at("format") == r.schema);
  CHECK(o.at("stream") == false);
  CHECK(o.at("options").at("seed") == 42);
  CHECK(o.at("options").at("num_ctx") == 4096);
  CHECK(o.at("messages").as_array().size() == 2);
  auto a = json::parse(build_chat_body(Provider::openai, r)).as_object();
  CHECK(a.at("response_format").at("type") == "json_schema");
  CHECK(a.at("response_format").at("json_schema").at("schema") == r.schema);
  CHECK_FALSE(a.contains("format"));
}

TEST_CASE("ollama replies: whole, NDJSON stream, errors") {
  auto one = parse_chat_reply(Provider::ollama, R"({"model":"m","message":{"role":"assistant","content":"{\"a\":1}"},
    "done":true,"prompt_eval_count":12,"eval_count":5,"total_duration":2000000})");
  CHECK(one.content == R"({"a":1})");
  CHECK(one.prompt_tokens == 12);
  CHECK(one.completion_tokens == 5);
  CHECK(one.server_ms == Approx(2.0));
  auto st = parse_chat_reply(Provider::ollama,
                             "{\"message\":{\"content\":\"{\\\"a\\\"\"},\"done\":false}\n"
                             "{\"message\":{\"content\":\":1}\"},\"done\":false}\n"
                             "{\"message\":{\"content\":\"\"},\"done\":true,\"prompt_eval_count\":3,\"eval_count\":2}\n");
  CHECK(st.content == R"({"a":1})");
  CHECK(st.completion_tokens == 2);
  CHECK_THROWS_WITH(parse_chat_reply(Provider::ollama, "{\"message\":{\"content\":\"x\"},\"done\":false}\n"),
                    Catch::Contains("done"));
  CHECK_THROWS_WITH(parse_chat_reply(Provider::ollama, R"({"error":"model \"x\" not found, try pulling it first"})"),
                    Catch::Contains("not found"));
  CHECK_THROWS_AS(parse_chat_reply(Provider::ollama, "<html>502 Bad Gateway</html>"), ProtocolError);
  CHECK_THROWS_AS(parse_chat_reply(Provider::ollama, "{\"message\":{\"content\":\"{\\\"desc"), ProtocolError);
}

TEST_CASE("openai replies: whole and SSE stream") {
  auto one = parse_chat_reply(Provider::openai, R"({"choices":[{"message":{"content":"{}"},"finish_reason":"stop"}],
    "usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}})");
  CHECK(one.content == "{}");
  CHECK(one.prompt_tokens == 7);
  CHECK(one.finish_reason == "stop");
  auto st = parse_chat_reply(Provider::openai,
                             "data: {\"choices\":[{\"delta\":{\"content\":\"{\\\"a\"}}]}\n\n"
                             "data: {\"choices\":[{\"delta\":{\"content\":\"\\\":2}\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3}}\n\n"
                             "data: [DONE]\n\n");
  CHECK(st.content == R"({"a":2})");
  CHECK(st.completion_tokens == 3);
  CHECK_THROWS_AS(parse_chat_reply(Provider::openai, "data: {\"choices\":[]}\n\n"), ProtocolError);
  CHECK(error_message(R"({"error":{"message":"Invalid API key","type":"x"}})") == "Invalid API key");
  CHECK(error_message(R"({"error":"busy"})") == "busy");
  CHECK(error_message("not json").empty());
}

TEST_CASE("JSON content: fenced, surrounded, or missing") {
  CHECK(parse_json_content("```json\n{\"a\":1}\n```") == json::parse(R"({"a":1})"));
  CHECK(parse_json_content("Here you go: {\"a\":1} hope it helps") == json::parse(R"({"a":1})"));
  CHECK_THROWS_WITH(parse_json_content("no json here"), Catch::Contains("no JSON object"));
  CHECK_THROWS_WITH(parse_json_content("{\"a\":}"), Catch::Contains("not valid JSON"));
}

TEST_CASE("model lists and embeddings") {
  auto names = parse_model_list(Provider::ollama, R"({"models":[{"name":"llama3.2:latest"},{"name":"qwen2.5:7b"}]})");
  CHECK(model_listed(names, "llama3.2"));
  CHECK(model_listed(names, "llama3.2:latest"));
  CHECK_FALSE(model_listed(names, "qwen2.5"));
  CHECK(parse_model_list(Provider::openai, R"({"object":"list","data":[{"id":"x.gguf"}]})") ==
        std::vector<std::string>{"x.gguf"});
  CHECK(parse_embed_reply(Provider::ollama, R"({"embeddings":[[0.5,1],[2,3]]})")[1][0] == 2.0);
  auto v = parse_embed_reply(Provider::openai, R"({"data":[{"index":1,"embedding":[9]},{"index":0,"embedding":[8]}]})");
  CHECK(v[0][0] == 8.0);
  CHECK(v[1][0] == 9.0);
  CHECK(json::parse(build_embed_body(Provider::openai, "m", {"a", "b"})).at("input").as_array().size() == 2);
}

TEST_CASE("the server's own time for a reply: llama.cpp timings, Ollama durations") {
  // llama-server (trimmed from a real reply): prompt_ms + predicted_ms, from taking the request
  // into a slot to its last token; the rest of the round trip was its queue.
  auto l = parse_chat_reply(Provider::openai, R"({"choices":[{"finish_reason":"stop","message":{"content":"{}"}}],
    "usage":{"completion_tokens":216,"prompt_tokens":4},
    "timings":{"cache_n":3,"prompt_n":1,"prompt_ms":8.642,"predicted_n":216,"predicted_ms":681.236}})");
  CHECK(l.service_ms == Approx(689.878));
  auto sse = parse_chat_reply(Provider::openai,
                              "data: {\"choices\":[{\"delta\":{\"content\":\"{}\"}}]}\n\n"
                              "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],"
                              "\"timings\":{\"prompt_ms\":10,\"predicted_ms\":90}}\n\ndata: [DONE]\n\n");
  CHECK(sse.service_ms == Approx(100));
  auto o = parse_chat_reply(Provider::ollama, R"({"message":{"content":"{}"},"done":true,"total_duration":5000000000,
    "load_duration":1000000,"prompt_eval_duration":250000000,"eval_duration":750000000})");
  CHECK(o.service_ms == Approx(1000));  // the prompt and the reply, not total_duration (loading too)
  auto none = parse_chat_reply(Provider::openai, R"({"choices":[{"message":{"content":"{}"}}]})");
  CHECK(none.service_ms == 0);
}
