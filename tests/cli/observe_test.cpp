// Watching a run from outside: `flowrun trace ID` (store lineage and --trace-file), attempts counted
// through HTTP retries, --metrics-port read over real HTTP during a run, and the live progress
// lines on a pseudo-terminal. The LLM is the fake Ollama server (tools/fixtures/llm), in process.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/shared/flowrun_runs.hpp"
#include "tools/fixtures/llm/fake_llm_server.hpp"

using namespace flowrun::testing;
using flowrun::fixtures::FakeLlmServer;

namespace {

// Two listings: one the LLM enriches (after the server fails twice), one with no prompt field at
// all, which the enricher dead-letters without asking.
void write_pipeline(const fs::path& dir, const std::string& llm_url, int records = 1, const std::string& extra = "") {
  std::ofstream in(dir / "in.jsonl");
  for (int i = 1; i <= records; ++i)
    in << R"({"id":"mls:)" << i << R"(","description":"3 bed house with a pool","price":)" << 300000 + i << "}\n";
  in << R"({"id":"mls:bad","color":"blue"})" << "\n";
  std::ofstream(dir / "obs.yaml") << "name: obs\nstore: sqlite:out/obs.db\nnodes:\n"
                                     "  src: {type: file, path: in.jsonl}\n"
                                     "  enrich: {type: llm_enricher, inputs: [src], concurrency: 1, cache: false, base_url: "
                                  << llm_url << ", retry_base_delay: 5ms, retry_max_delay: 20ms" << extra << "}\n"
                                  << "  store: {type: store, inputs: [enrich], batch_size: 2}\n"
                                     "  rejects: {type: dead_letter_store, inputs: [enrich.errors]}\n";
}

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("flowrun trace shows a stored record's and a dead letter's path, attempts counted through retries",
          "[cli][trace]") {
  FakeLlmServer llm;
  llm.start();
  llm.set_failure(FakeLlmServer::Failure::queue_full, 2);  // 503 twice, then an answer
  auto dir = temp_dir("trace");
  write_pipeline(dir, llm.url());
  auto run = run_flowrun({"run", "obs.yaml", "--run-id", "t1", "--trace-file", "out/trace.jsonl", "--json", "--quiet"}, dir);
  INFO(run.err);
  REQUIRE(run.code == 0);  // run_flowrun() checked the summary's balance
  CHECK(llm.calls("/api/chat") == 3);

  // Trace ids are "<run id>-<n>" in the source's order: t1-1 is mls:1, t1-2 is mls:bad.
  auto ok = run_flowrun({"trace", "t1-1", "obs.yaml", "--trace-file", "out/trace.jsonl"}, dir);
  INFO(ok.out << ok.err);
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::Contains("record t1-1: run t1 (ok)"));
  CHECK_THAT(ok.out, Catch::Contains("properties") && Catch::Contains("mls:1") && Catch::Contains("inserted"));
  CHECK_THAT(ok.out, Catch::Contains("property_history"));
  CHECK(ok.out.find("dead_letters") == std::string::npos);
  // The path: emitted by src, enriched on `out` after 2 retries, held by the store's batch.
  auto line_of = [](const std::string& text, const std::string& node) {
    auto at = text.find(" " + node + " ");
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  CHECK_THAT(line_of(ok.out, "src"), Catch::Contains("out") && Catch::Contains("emitted") && Catch::EndsWith(" 0"));
  CHECK_THAT(line_of(ok.out, "enrich"), Catch::Contains("out") && Catch::EndsWith(" 2"));
  CHECK_THAT(line_of(ok.out, "store"), Catch::Contains("held") && Catch::EndsWith(" 2"));

  auto bad = run_flowrun({"trace", "t1-2", "obs.yaml", "--trace-file", "out/trace.jsonl"}, dir);
  INFO(bad.out << bad.err);
  CHECK(bad.code == 0);
  CHECK_THAT(bad.out, Catch::Contains("dead_letters") && Catch::Contains("mls:bad") && Catch::Contains("run t1"));
  CHECK_THAT(bad.out, Catch::Contains("dead letter from enrich: ") && Catch::Contains("none of the prompt fields") &&
                          Catch::Contains("port errors attempt 0"));
  CHECK_THAT(line_of(bad.out, "enrich"), Catch::Contains("errors"));
  CHECK_THAT(line_of(bad.out, "rejects"), Catch::Contains("held"));

  // Without the trace file the store still answers; an unknown id is found nowhere (exit 1).
  auto store_only = run_flowrun({"trace", "t1-1", "obs.yaml"}, dir);
  CHECK(store_only.code == 0);
  CHECK_THAT(store_only.out, Catch::Contains("no trace file given"));
  CHECK(run_flowrun({"trace", "t1-99", "obs.yaml", "--trace-file", "out/trace.jsonl"}, dir).code == 1);
  CHECK(run_flowrun({"trace", "t1-1"}, dir).code == 2);
}

TEST_CASE("metrics: --metrics-port serves Prometheus text over HTTP while the run goes on", "[cli][metrics]") {
  FakeLlmServer llm;
  llm.start();
  llm.set_latency(std::chrono::milliseconds(150));  // 12 records at concurrency 1: about 2 s
  auto dir = temp_dir("metrics-port");
  write_pipeline(dir, llm.url(), 12);
  const int port = free_port();
  Child child({FLOWRUN_BIN, "run", "obs.yaml", "--quiet", "--json", "--metrics-port", std::to_string(port)}, dir);
  httplib::Client http("127.0.0.1", port);
  http.set_connection_timeout(std::chrono::seconds(1));
  std::string during;
  for (int i = 0; i < 200 && child.running(); ++i) {
    auto res = http.Get("/metrics");
    if (res && res->status == 200 && res->body.find("node=\"enrich\"") != std::string::npos &&
        llm.total_generation_calls() > 0) {
      during = res->body;
      CHECK_THAT(res->get_header_value("Content-Type"), Catch::StartsWith("text/plain"));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto done = child.wait();
  INFO(done.err);
  CHECK(done.code == 0);
  check_balanced(done.out);
  REQUIRE(!during.empty());  // answered while the run was still going
  CHECK(llm.total_generation_calls() == 12);
  CHECK_THAT(during, Catch::Contains("# TYPE flowrun_node_records_in_total counter"));
  CHECK_THAT(during, Catch::Contains(R"(flowrun_node_records_in_total{pipeline="obs",node="enrich",type="llm_enricher",role="transform"} )"));
  // Mid-run: the source has read its file, the enricher has not finished every record.
  CHECK_THAT(during, Catch::Contains(R"(flowrun_node_records_out_total{pipeline="obs",node="src",type="file",role="source"} 13)"));
  CHECK_THAT(during, !Catch::Contains(R"(flowrun_node_records_out_total{pipeline="obs",node="enrich",type="llm_enricher",role="transform"} 12)"));
  CHECK(!http.Get("/metrics"));  // and the endpoint is gone with the run
}

TEST_CASE("on a terminal, the run draws one live line per node and clears them before the summary", "[cli][progress]") {
  FakeLlmServer llm;
  llm.start();
  llm.set_latency(std::chrono::milliseconds(100));
  auto dir = temp_dir("pty");
  write_pipeline(dir, llm.url(), 8);
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    ::execl(FLOWRUN_BIN, FLOWRUN_BIN, "run", "obs.yaml", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string screen;
  char buf[4096];
  for (;;) {  // the child's terminal: read until it closes (EIO once the child has exited)
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;
    screen.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  INFO(screen);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  check_table_balanced(screen);  // the summary table on the terminal marks no node UNBALANCED
  // A frame: each of the 4 nodes on its own erased line, counts and rates...
  CHECK_THAT(screen, Catch::Matches(R"([\s\S]*\r\x1b\[Ksrc +9 rec +\d+/s  err 0 +queue \d+/\d+[\s\S]*)"));
  CHECK_THAT(screen, Catch::Matches(R"([\s\S]*\r\x1b\[Kenrich +\d+ rec +\d+/s  err \d+ +queue \d+/\d+[\s\S]*)"));
  // ...redrawn in place (cursor up 4 lines) and cleared before the final table.
  CHECK_THAT(screen, Catch::Contains("\x1b[4A\r\x1b[K"));
  const auto cleared = screen.rfind("\x1b[4A\x1b[J");
  REQUIRE(cleared != std::string::npos);
  CHECK(screen.find("rejects", cleared) != std::string::npos);  // the summary table follows
  CHECK(screen.find("\r\x1b[K", cleared) == std::string::npos);  // and no live line after it
}
