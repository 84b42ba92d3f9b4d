// Integration test against a real llama.cpp llama-server with a random-weight model (see
// tools/llama/build.sh): real tokenizer, real JSON-schema grammar, real parallel slots. Skips
// with a message when the binary or the model is absent (CI need not build llama.cpp).
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>
#include <fcntl.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <httplib.h>
#include <thread>

#include "harness.hpp"

extern char** environ;

using namespace flowrun;
using namespace flowrun::testing;

namespace {

std::string find_file(const char* env, const std::string& cached) {
  if (const char* e = std::getenv(env); e && *e) return std::filesystem::exists(e) ? e : "";
  const char* home = std::getenv("HOME");
  std::string p = std::string(home ? home : "/root") + "/.cache/flowrun-llama/" + cached;
  return std::filesystem::exists(p) ? p : "";
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

struct LlamaServer {
  pid_t pid = -1;
  int port = 0;
  std::string log;
  LlamaServer(const std::string& bin, const std::string& model, const std::string& log_path) : log(log_path) {
    port = free_port();
    std::vector<std::string> args{bin, "-m", model, "--host", "127.0.0.1", "--port", std::to_string(port),
                                  "-t", "2", "--parallel", "4", "-c", "8192", "--chat-template", "llama2",
                                  "--alias", "flowrun-test", "--log-disable"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  bool wait_healthy(int seconds) {
    httplib::Client c("127.0.0.1", port);
    for (int i = 0; i < seconds * 10; ++i) {
      if (auto r = c.Get("/health"); r && r->status == 200) return true;
      int st = 0;
      if (pid > 0 && ::waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  ~LlamaServer() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST_CASE("real llama-server: schema-constrained enrichment with real tokens and parallel slots", "[llama]") {
  const std::string bin = find_file("FLOWRUN_LLAMA_SERVER", "bin/llama-server");
  const std::string model = find_file("FLOWRUN_LLAMA_MODEL", "model/random-64x2.gguf");
  if (bin.empty() || model.empty()) {
    WARN("skipped: no llama-server or model (run tools/llama/build.sh, or set FLOWRUN_LLAMA_SERVER and "
         "FLOWRUN_LLAMA_MODEL)");
    return;
  }
  TempDir tmp;
  LlamaServer server(bin, model, tmp.str() + "/llama.log");
  REQUIRE(server.pid > 0);
  INFO("llama-server log: " << tmp.str() << "/llama.log");
  REQUIRE(server.wait_healthy(60));

  // A small schema keeps a random model's output short; the grammar still has to produce it.
  std::ofstream(tmp.str() + "/schema.json") << R"({"type":"object","additionalProperties":false,
    "required":["rent","trend","recommendation"],
    "properties":{"rent":{"type":"integer","minimum":0,"maximum":9999},
                  "trend":{"type":"string","enum":["rising","stable","declining"]},
                  "recommendation":{"type":"string","enum":["buy","hold","avoid"]}}})";
  auto node = make_node("llm_enricher", "{provider: openai, base_url: http://127.0.0.1:" + std::to_string(server.port) +
                                            ", model: flowrun-test, schema: " + tmp.str() +
                                            "/schema.json, max_tokens: 64, timeout: 60s, cache: false}");
  Harness h;
  h.run(*node, properties(8), /*threads=*/4);
  auto out = h.out.on("out");
  auto errs = h.out.on("errors");
  for (auto& e : errs) UNSCOPED_INFO("error: " << e.reason);
  CHECK(errs.empty());
  REQUIRE(out.size() == 8);
  std::int64_t max_prompt = 0;
  for (auto& r : out) {
    const auto& m = r.rec.data.at("enrichment_meta").as_object();
    INFO(json::serialize(r.rec.data.at("enrichment_meta")));
    CHECK(m.at("method") == "llm");
    // Real tokenizer counts. llama-server reports only the prompt tokens it had to process, so a
    // request that reuses a slot's cached prefix (our system prompt) reports few.
    CHECK(m.at("tokens_prompt").as_int64() > 0);
    CHECK(m.at("tokens_completion").as_int64() > 3);
    max_prompt = std::max(max_prompt, m.at("tokens_prompt").as_int64());
    const auto& e = r.rec.data.at("enrichment").as_object();
    CHECK(e.size() == 3);
  }
  // The random-weight model's converted vocabulary tokenises our prompt into very few tokens, so
  // only "counted by the server, not estimated" is asserted (the estimate is ~200).
  CHECK(max_prompt >= 1);
  CHECK(h.counter("llm.tokens") > 8 * 10);
}
