#include <catch2/catch.hpp>

#include "harness.hpp"
#include "tools/fixtures/llm/fake_llm_server.hpp"

using namespace flowrun;
using namespace flowrun::testing;
using flowrun::fixtures::FakeLlmServer;

TEST_CASE("embedder batches records and stores one vector each") {
  FakeLlmServer fake;
  fake.start();
  for (const char* provider : {"ollama", "openai"}) {
    fake.reset_counters();
    auto node = make_node("embedder", "{base_url: " + fake.url() + ", provider: " + provider + ", batch_size: 4}");
    Harness h;
    h.run(*node, properties(10));
    auto out = h.out.on("out");
    REQUIRE(out.size() == 10);
    for (auto& r : out) {
      CHECK(r.rec.data.at("embedding").as_array().size() == 8);
      CHECK(r.rec.data.at("embedding_model") == "nomic-embed-text:latest");
    }
    // Different texts, different vectors.
    CHECK(out[0].rec.data.at("embedding") != out[1].rec.data.at("embedding"));
    const std::string path = std::string(provider) == "ollama" ? "/api/embed" : "/v1/embeddings";
    auto bodies = fake.bodies(path);
    REQUIRE(bodies.size() == 3);  // 4 + 4 + the last 2 at close()
    CHECK(json::parse(bodies[0]).at("input").as_array().size() == 4);
    CHECK(json::parse(bodies[2]).at("input").as_array().size() == 2);
  }
}

TEST_CASE("embedder: the same record text gives the same vector, and a second run hits the cache") {
  TempDir tmp;
  std::map<std::string, std::string> settings{{"store", "sqlite:" + tmp.str() + "/e.db"}};
  FakeLlmServer fake;
  fake.start();
  json::value first;
  {
    auto node = make_node("embedder", "{base_url: " + fake.url() + ", batch_size: 2}");
    Harness h("{}", settings);
    h.run(*node, properties(3));
    first = h.out.on("out").at(0).rec.data.at("embedding");
  }
  fake.reset_counters();
  auto node = make_node("embedder", "{base_url: " + fake.url() + ", batch_size: 2}");
  Harness h("{}", settings);
  h.run(*node, properties(3));
  CHECK(fake.calls("/api/embed") == 0);
  CHECK(h.counter("llm.cache_hits") == 3);
  CHECK(h.out.on("out").at(0).rec.data.at("embedding") == first);
}

TEST_CASE("embedder: a failing server marks records pending or dead-letters them") {
  FakeLlmServer fake;
  fake.start();
  fake.set_failure(FakeLlmServer::Failure::error_body);
  {
    auto node = make_node("embedder", "{base_url: " + fake.url() + ", batch_size: 3, retries: 0, cache: false}");
    Harness h;
    h.run(*node, properties(4));
    auto out = h.out.on("out");
    REQUIRE(out.size() == 4);
    CHECK(out[0].rec.data.at("embedding_meta").at("status") == "pending");
    CHECK_FALSE(out[0].rec.data.contains("embedding"));
  }
  {
    auto node = make_node("embedder", "{base_url: " + fake.url() +
                                          ", batch_size: 3, retries: 0, cache: false, on_unavailable: dead_letter}");
    Harness h;
    h.run(*node, properties(4));
    CHECK(h.out.on("out").empty());
    auto errs = h.out.on("errors");
    REQUIRE(errs.size() == 4);
    CHECK(errs[0].rec.meta.at("error").at("rule") == "embed_unavailable");
  }
}

TEST_CASE("embedder over chunks: each chunk's text is embedded and its parent link kept") {
  FakeLlmServer fake;
  fake.start();
  std::vector<Record> chunks;
  for (int i = 0; i < 3; ++i) {
    Record r(json::object{{"id", "apn:1#" + std::to_string(i)},
                          {"parent_id", "apn:1"},
                          {"description", "the parent's whole text, which must not be what is embedded"},
                          {"chunk", json::object{{"index", i}, {"count", 3}, {"text", "passage " + std::to_string(i)}}}});
    r.env.source_id = "1#" + std::to_string(i);
    chunks.push_back(std::move(r));
  }
  auto node = make_node("embedder", "{base_url: " + fake.url() + ", fields: [chunk.text], batch_size: 8, cache: false}");
  Harness h;
  h.run(*node, chunks);
  auto out = h.out.on("out");
  REQUIRE(out.size() == 3);
  for (int i = 0; i < 3; ++i) {
    const auto& d = out[static_cast<std::size_t>(i)].rec.data;
    CHECK(d.at("parent_id") == "apn:1");
    CHECK(d.at("chunk").at("index") == i);
    CHECK(d.at("embedding").as_array().size() == 8);
  }
  CHECK(out[0].rec.data.at("embedding") != out[1].rec.data.at("embedding"));
  const auto sent = json::parse(fake.bodies("/api/embed").at(0)).at("input").as_array();
  REQUIRE(sent.size() == 3);
  CHECK(std::string(sent[1].as_string()).find("passage 1") != std::string::npos);
  CHECK(std::string(sent[1].as_string()).find("parent's whole text") == std::string::npos);
}
