// A recognisable fake key set in the environment and referenced with ${env...} must appear in
// no output: not in `check`, `dot`, the run summary (text and --json), debug logs, --dot-out,
// dead letters or error messages, even when a node fails with the key in its message.
#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "engine/context.hpp"
#include "engine/pipeline.hpp"
#include "nodes/file/register.hpp"
#include "tests/reliability/child_process.hpp"
#include "tests/shared/run_checks.hpp"

using namespace flowrun;
using namespace flowrun::reltest;

namespace {

const std::string kSecret = "sk-live-XYZ7Q2flowrunTESTsecret9481";

// Every occurrence of the secret in `text`, with some context, for the failure message.
std::string leaks(const std::string& where, const std::string& text) {
  std::string found;
  for (auto p = text.find(kSecret); p != std::string::npos; p = text.find(kSecret, p + 1)) {
    auto from = p > 80 ? p - 80 : 0;
    found += where + ": ..." + text.substr(from, 200) + "...\n";
  }
  return found;
}

// A transform that fails every record with a message quoting its secret option, the way a
// careless HTTP client might echo an Authorization header.
class LeakyNode : public ProcessNode {
 public:
  explicit LeakyNode(const NodeConfig& c) : key_(c.get_string("key")) {}
  void process(Record in, RunContext&, Emitter& out) override {
    if (in.data.contains("fail")) throw RecordError("key", "auth", "server rejected key " + key_ + " (401)");
    if (in.data.contains("fail_plain")) throw std::runtime_error("401 for Authorization: Bearer " + key_);
    out.emit(std::move(in));
  }

 private:
  std::string key_;
};

const Registry& leaky_registry() {
  static Registry r = [] {
    Registry reg;
    register_file_nodes(reg);
    NodeDescriptor d;
    d.type = "leaky";
    d.role = Role::transform;
    d.description = "test: fails records with its key in the message";
    d.options = {{"key", OptionType::secret, "", "API key", true, {}}};
    d.factory = [](const NodeConfig& c) { return std::make_unique<LeakyNode>(c); };
    reg.add(std::move(d));
    return reg;
  }();
  return r;
}

}  // namespace

TEST_CASE("a secret option's value never reaches logs, dead letters, summaries or DOT (in-process)", "[secrets]") {
  ::setenv("FLOWRUN_TEST_SECRET", kSecret.c_str(), 1);
  TempDir dir;
  write_file(dir.file("in.jsonl"), "{\"id\": 1}\n{\"id\": 2, \"fail\": true}\n{\"id\": 3, \"fail_plain\": true}\n");
  const std::string yaml = "settings: {note: \"${env.FLOWRUN_TEST_SECRET}\"}\n"
                           "nodes:\n"
                           "  src: {type: file, path: \"" + dir.file("in.jsonl") + "\"}\n"
                           "  call: {type: leaky, inputs: [src], key: \"${env.FLOWRUN_TEST_SECRET}\"}\n"
                           "  good: {type: jsonl, inputs: [call], path: \"" + dir.file("good.jsonl") + "\"}\n"
                           "  dead: {type: dead_letter, path: \"" + dir.file("dead.jsonl") + "\"}\n";

  // Capture everything spdlog says at debug level during load and run.
  std::ostringstream log;
  auto old = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  auto loaded = load_pipeline_string(yaml, "secret.yaml", leaky_registry());
  REQUIRE(loaded.ok());
  auto summary = flowrun::testing::run_checked(loaded.graph, leaky_registry());
  spdlog::set_default_logger(old);
  ::unsetenv("FLOWRUN_TEST_SECRET");

  const std::string dead = read_file(dir.file("dead.jsonl"));
  CHECK(std::count(dead.begin(), dead.end(), '\n') == 2);  // both failures are there...
  CHECK(dead.find("***") != std::string::npos);             // ...with the key redacted
  std::string found;
  found += leaks("dead letters", dead);
  found += leaks("good output", read_file(dir.file("good.jsonl")));
  found += leaks("log", log.str());
  found += leaks("DOT", to_dot(loaded.graph));
  found += leaks("DOT after run", to_dot(loaded.graph, &summary));
  found += leaks("prometheus", to_prometheus(summary));
  for (const auto& n : summary.nodes) found += leaks("summary stopped_reason " + n.id, n.stopped_reason);
  for (const auto& d : loaded.diagnostics.all()) found += leaks("diagnostic", d.str());
  INFO(found);
  CHECK(found.empty());
}

namespace {

// Runs check, dot and run --json --dot-out at debug level on a pipeline that uses the secret as a
// setting (and, when `in_path`, as part of the input file's path); returns every leak found.
std::string cli_leaks(bool in_path) {
  TempDir dir;
  const std::string data_dir = in_path ? dir.file(kSecret) : dir.file("data");
  write_file(data_dir + "/in.jsonl", "{\"id\": 1}\nnot json\n{\"id\": 3}\n");
  const std::string pipeline = dir.file("p.yaml");
  write_file(pipeline, "settings: {api_key: \"${env.FLOWRUN_TEST_SECRET}\"}\n"
                       "nodes:\n"
                       "  src: {type: file, path: \"" + dir.path + (in_path ? "/${env.FLOWRUN_TEST_SECRET}" : "/data") + "/in.jsonl\"}\n"
                       "  good: {type: jsonl, inputs: [src], path: \"" + dir.file("good.jsonl") + "\"}\n"
                       "  dead: {type: dead_letter, path: \"" + dir.file("dead.jsonl") + "\"}\n");
  const std::map<std::string, std::string> env{{"FLOWRUN_TEST_SECRET", kSecret}};
  const std::string bin = flowrun_bin();
  const auto limit = std::chrono::seconds(30);

  std::string found;
  auto check = run_child({bin, "--log-level", "debug", "check", pipeline}, limit, env);
  CHECK(check.exit_code == 0);
  found += leaks("check stdout", check.out) + leaks("check stderr", check.err);

  auto dot = run_child({bin, "--log-level", "debug", "dot", pipeline}, limit, env);
  CHECK(dot.exit_code == 0);
  CHECK(dot.out.find("digraph") != std::string::npos);
  found += leaks("dot stdout", dot.out) + leaks("dot stderr", dot.err);

  auto run = run_child({bin, "--log-level", "debug", "run", pipeline, "--json", "--quiet", "--dot-out", dir.file("run.dot")},
                       limit, env);
  INFO("run: " << run.describe() << "\nstderr: " << run.err.substr(0, 2000));
  CHECK(run.exited());
  CHECK(run.out.find("\"nodes\"") != std::string::npos);  // the JSON summary is there
  CHECK(read_file(dir.file("run.dot")).find("digraph") != std::string::npos);
  found += leaks("run stdout (--json)", run.out) + leaks("run stderr", run.err);
  found += leaks("--dot-out", read_file(dir.file("run.dot")));
  const std::string dead = read_file(dir.file("dead.jsonl"));
  CHECK(std::count(dead.begin(), dead.end(), '\n') == 1);
  found += leaks("dead letters", dead);
  found += leaks("good output", read_file(dir.file("good.jsonl")));
  return found;
}

}  // namespace

TEST_CASE("the CLI never prints a secret setting: check, dot, run --json --dot-out at debug level", "[secrets]") {
  auto found = cli_leaks(false);
  INFO(found);
  CHECK(found.empty());
}

TEST_CASE("the CLI never prints a secret that is part of an input path", "[secrets]") {
  auto found = cli_leaks(true);
  INFO(found);
  CHECK(found.empty());
}

TEST_CASE("a failing secret-dependent load reports the reference, not the value", "[secrets]") {
  // A typo'd option next to a secret value: the diagnostic may quote the option, never the key.
  ::setenv("FLOWRUN_TEST_SECRET", kSecret.c_str(), 1);
  auto r = load_pipeline_string("nodes:\n"
                                "  src: {type: file, path: \"${env.FLOWRUN_TEST_SECRET}\", formt: \"${env.FLOWRUN_TEST_SECRET}\"}\n"
                                "  good: {type: jsonl, inputs: [src], path: x.jsonl, append: \"${env.FLOWRUN_TEST_SECRET}\"}\n",
                                "s.yaml", leaky_registry());
  ::unsetenv("FLOWRUN_TEST_SECRET");
  CHECK(r.diagnostics.error_count() >= 2);
  std::string found;
  for (const auto& d : r.diagnostics.all()) found += leaks("diagnostic", d.str());
  INFO(found);
  CHECK(found.empty());
}
