// The fake server itself: it must speak the protocols the way the real servers do, or the
// enricher tests prove nothing.
#include <httplib.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "nodes/llm/json_schema.hpp"
#include "nodes/llm/llm_protocol.hpp"
#include "tools/fixtures/llm/fake_llm_server.hpp"

using flowrun::fixtures::FakeLlmServer;
using namespace flowrun::llm;
namespace json = boost::json;

TEST_CASE("fake server: structured output satisfies the requested schema, deterministically") {
  FakeLlmServer fake;
  fake.start();
  httplib::Client c("127.0.0.1", fake.port());
  ChatRequest req;
  req.model = "llama3.2";
  req.user = "3 bed home in Phoenix";
  req.schema = json::parse(flowrun::testing::enrich_schema_text());
  for (bool stream : {false, true}) {
    req.stream = stream;
    auto r1 = c.Post("/api/chat", build_chat_body(Provider::ollama, req), "application/json");
    auto r2 = c.Post("/v1/chat/completions", build_chat_body(Provider::openai, req), "application/json");
    REQUIRE(r1);
    REQUIRE(r2);
    CHECK(r1->status == 200);
    if (stream) CHECK(r1->get_header_value("Content-Type") == "application/x-ndjson");
    auto a = parse_chat_reply(Provider::ollama, r1->body);
    auto b = parse_chat_reply(Provider::openai, r2->body);
    CHECK(a.content == b.content);  // same prompt, same answer
    CHECK(check_schema(parse_json_content(a.content), req.schema).empty());
    CHECK(a.prompt_tokens > 0);
    CHECK(b.completion_tokens > 0);
  }
  CHECK(fake.calls("/api/chat") == 2);
}

TEST_CASE("fake server: failure modes answer like the real servers") {
  FakeLlmServer fake;
  fake.start();
  httplib::Client c("127.0.0.1", fake.port());
  std::string body = R"({"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"x"}]})";
  fake.set_failure(FakeLlmServer::Failure::queue_full, 1);
  CHECK(c.Post("/api/chat", body, "application/json")->status == 503);
  CHECK(c.Post("/api/chat", body, "application/json")->status == 200);
  fake.set_failure(FakeLlmServer::Failure::model_not_found, 1);
  auto r = c.Post("/api/chat", body, "application/json");
  CHECK(r->status == 404);
  CHECK(error_message(r->body) == "model \"llama3.2\" not found, try pulling it first");
  fake.set_failure(FakeLlmServer::Failure::malformed, 1);
  CHECK_THROWS_AS(parse_chat_reply(Provider::ollama, c.Post("/api/chat", body, "application/json")->body), ProtocolError);
  auto missing = c.Post("/api/chat", R"({"model":"nope","messages":[]})", "application/json");
  CHECK(missing->status == 404);
}

TEST_CASE("fake server: bearer auth on /v1 when a key is configured") {
  FakeLlmServer::Options o;
  o.api_key = "sk-test-123";
  FakeLlmServer fake(o);
  fake.start();
  httplib::Client c("127.0.0.1", fake.port());
  CHECK(c.Get("/v1/models")->status == 401);
  CHECK(c.Get("/v1/models", {{"Authorization", "Bearer sk-test-123"}})->status == 200);
}
