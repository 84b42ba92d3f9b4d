// The `flowrun` command line, run as a child process the way a user runs it. Each test works in
// its own temp folder that links to the repository's pipelines/, so outputs (out/...) land there.
#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/cli/child_process.hpp"

using namespace flowrun::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kBin = FLOWRUN_BIN;
const std::string kSrc = FLOWRUN_SOURCE_DIR;
const std::string kBad = kSrc + "/tests/pipelines/bad/";
const std::string kGood = kSrc + "/tests/pipelines/good/";

struct Workdir {
  fs::path dir;
  Workdir() {
    char tmpl[] = "/tmp/flowrun-cli-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    fs::create_directory_symlink(kSrc + "/pipelines", dir / "pipelines");
  }
  ~Workdir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // A command that runs a pipeline has its summary's balance checked by run_child().
  ChildResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), kBin);
    return run_child(args, dir);
  }
};

std::size_t count_lines(const fs::path& p) {
  std::ifstream in(p);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) n += !l.empty();
  return n;
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

const json::object& node_of(const json::object& summary, const std::string& id) {
  for (const auto& n : summary.at("nodes").as_array())
    if (n.as_object().at("id") == id.c_str()) return n.as_object();
  FAIL("no node " << id);
  throw std::logic_error("unreachable");
}

int graphviz_parses(const fs::path& file) {
  std::string cmd = "/usr/bin/dot -Tsvg '" + file.string() + "' -o /dev/null";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

}  // namespace

TEST_CASE("flowrun FILE runs the sample: exit 0, output files, summary on stderr", "[cli][run]") {
  Workdir w;
  auto r = w.run({"pipelines/sample.yaml"});
  INFO(r.err);
  REQUIRE(r.exited);
  CHECK(r.code == 0);
  CHECK(count_lines(w.dir / "out/sample/parcels.jsonl") == 8);
  CHECK(count_lines(w.dir / "out/sample/parcels.csv") == 9);  // header + 8
  CHECK(count_lines(w.dir / "out/sample/dead_letters.jsonl") == 1);
  // the per-node summary table
  CHECK(has(r.err, "node "));
  CHECK(has(r.err, "to_jsonl"));
  CHECK(has(r.err, " ok in "));
  CHECK(has(r.err, "9 records from sources, 1 dead letters"));
  CHECK_FALSE(has(r.err, "UNBALANCED"));
  CHECK(r.out.empty());  // without --json nothing goes to stdout
}

TEST_CASE("flowrun run --json prints the summary as parseable JSON with per-node counts", "[cli][run][json]") {
  Workdir w;
  auto r = w.run({"run", "pipelines/sample.yaml", "--json", "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  json::object s = json::parse(r.out).as_object();
  CHECK(s.at("status") == "ok");
  CHECK(s.at("exit_code").as_int64() == 0);
  CHECK(node_of(s, "parcels").at("out").as_int64() == 8);
  CHECK(node_of(s, "parcels").at("errors").as_int64() == 1);
  for (const char* id : {"to_jsonl", "to_csv"}) {
    CHECK(node_of(s, id).at("in").as_int64() == 8);
    CHECK(node_of(s, id).at("out").as_int64() == 8);
  }
  CHECK(node_of(s, "rejects").at("in").as_int64() == 1);
  for (const auto& n : s.at("nodes").as_array()) CHECK(n.as_object().at("balanced").as_bool());
}

TEST_CASE("check of a valid file exits 0", "[cli][check]") {
  Workdir w;
  auto r = w.run({"check", "pipelines/sample.yaml"});
  CHECK(r.code == 0);
  CHECK(has(r.err, "pipelines/sample.yaml: ok (4 nodes, 1 sources, mode parallel)"));
}

TEST_CASE("check of bad files exits 2 with file:line:column on stderr", "[cli][check]") {
  Workdir w;
  struct Case {
    const char* file;
    std::string expected;
  };
  for (const auto& c : std::vector<Case>{
           {"unknown_type.yaml", ":3:19: error: node 'parcels': unknown node type 'fil' (did you mean 'file'?)"},
           {"concurrency_many.yaml", ":4:73: error: node 'out': concurrency must be a positive integer (at most 4096), 'unlimited', 'adaptive' or {adaptive: true|NAME, min, max, initial}, got 'many'"},
           {"cycle.yaml", ":3:3: error: cycle through after: (control) edges, so no node in it could ever start: a -> b -> a"},
           {"syntax.yaml", ":4:6: error: invalid YAML: end of map flow not found"},
       }) {
    auto r = w.run({"check", kBad + c.file});
    INFO(c.file << "\n" << r.err);
    CHECK(r.code == 2);
    CHECK(has(r.err, kBad + c.file + c.expected));
    CHECK(r.out.empty());
  }
}

TEST_CASE("check reports every problem of a file at once", "[cli][check]") {
  Workdir w;
  ::unsetenv("FLOWRUN_TEST_SURELY_UNSET");
  auto r = w.run({"check", kBad + "many_problems.yaml"});
  INFO(r.err);
  CHECK(r.code == 2);
  const std::string f = kBad + "many_problems.yaml";
  CHECK(has(r.err, f + ":3:25: error: node 'parcels': unknown option 'pth' for type 'file' (did you mean 'path'?)"));
  CHECK(has(r.err, f + ":4:31: error: node 'out': input 'parcel' names no node (did you mean 'parcels'?)"));
  CHECK(has(r.err, f + ":5:15: error: node 'csv': unknown node type 'csvv' (did you mean 'csv'?)"));
  CHECK(has(r.err, "environment variable FLOWRUN_TEST_SURELY_UNSET is not set"));
  CHECK(has(r.err, "has no output port 'rejected'"));
}

TEST_CASE("run of an invalid file exits 2 without running", "[cli][run]") {
  Workdir w;
  auto r = w.run({"run", kBad + "unknown_type.yaml"});
  CHECK(r.code == 2);
  CHECK_FALSE(fs::exists(w.dir / "out"));
}

TEST_CASE("warnings pass check, --strict makes them errors", "[cli][check][strict]") {
  Workdir w;
  auto lax = w.run({"check", kGood + "unconsumed.yaml"});
  INFO(lax.err);
  CHECK(lax.code == 0);
  CHECK(has(lax.err, kGood + "unconsumed.yaml:4:3: warning: output of node 'extra' is not consumed"));
  auto strict = w.run({"check", "--strict", kGood + "unconsumed.yaml"});
  INFO(strict.err);
  CHECK(strict.code == 2);
  CHECK(has(strict.err, kGood + "unconsumed.yaml:4:3: error: output of node 'extra' is not consumed by any node (--strict)"));
}

TEST_CASE("a csv column no record can carry: a check error after a normalizer, a run warning after an undeclared source", "[cli][check][csv]") {
  Workdir w;
  auto write = [&](const char* name, const std::string& inputs_of_csv, const std::string& extra_nodes) {
    std::ofstream(w.dir / name) << "nodes:\n"
                                   "  parcels: {type: file, path: pipelines/data/sample_parcels.jsonl}\n" +
                                       extra_nodes +
                                       "  to_csv:\n"
                                       "    type: csv\n"
                                       "    inputs: [" + inputs_of_csv + "]\n"
                                       "    path: out/props.csv\n"
                                       "    columns: [id, adress.street, address.city]\n"
                                       "  rejects: {type: dead_letter, inputs: [parcels.errors], path: out/dead.jsonl}\n";
  };
  // The normalizer declares the canonical record's fields, so `check` knows the column is wrong.
  write("normalized.yaml", "canonical", "  canonical: {type: normalizer, inputs: [parcels], mapping: maricopa}\n");
  auto bad = w.run({"check", "normalized.yaml"});
  INFO(bad.err);
  CHECK(bad.code == 2);
  CHECK(has(bad.err, "normalized.yaml:8:19: error: node 'to_csv': option 'columns': column 'adress.street' is not a field of "
                     "the records it receives (did you mean 'address.street'?)"));
  // The file source declares nothing: `check` cannot tell, and the run says so when it ends.
  write("raw.yaml", "parcels", "");
  auto lax = w.run({"check", "raw.yaml"});
  INFO(lax.err);
  CHECK(lax.code == 0);
  auto run = w.run({"run", "raw.yaml"});
  INFO(run.err);
  CHECK(run.code == 0);
  CHECK(has(run.err, "node 'to_csv': column 'adress.street' is in no record (misspelt?)"));
  CHECK(count_lines(w.dir / "out/props.csv") == 9);  // header + 8 parcels, the misspelt column empty
}

TEST_CASE("the --var flag supplies ${vars.x}, without it the pipeline is invalid", "[cli][vars]") {
  Workdir w;
  auto missing = w.run({"check", kGood + "vars.yaml"});
  CHECK(missing.code == 2);
  CHECK(has(missing.err, "undefined variable 'outdir'"));
  auto ok = w.run({"run", kGood + "vars.yaml", "--var", "outdir=" + (w.dir / "v").string(), "-q", "--json"});
  INFO(ok.err);
  CHECK(ok.code == 0);
  CHECK(count_lines(w.dir / "v/parcels.jsonl") == 8);
}

TEST_CASE("the --set flag overrides the YAML: concurrency shows in dot, max_error_rate changes the exit code", "[cli][set]") {
  Workdir w;
  auto dot = w.run({"dot", "pipelines/sample.yaml", "--set", "nodes.to_csv.concurrency=4"});
  CHECK(dot.code == 0);
  CHECK(has(dot.out, "to_csv\\ncsv\\nconcurrency: 4"));
  CHECK(has(dot.out, "to_jsonl\\njsonl\\nconcurrency: 1"));
  // the sample dead-letters 1 of 9 records (11%)
  auto strict_rate = w.run({"pipelines/sample.yaml", "--set", "max_error_rate=0.05", "-q", "--json"});
  INFO(strict_rate.err);
  CHECK(strict_rate.code == 1);
  CHECK(has(strict_rate.err, " failed in "));
  auto lax_rate = w.run({"pipelines/sample.yaml", "--set", "max_error_rate=0.5", "-q", "--json"});
  CHECK(lax_rate.code == 0);
  auto bad = w.run({"check", "pipelines/sample.yaml", "--set", "nodes.to_csv.concurrency=many"});
  CHECK(bad.code == 2);
}

TEST_CASE("usage errors exit 2: unknown flag, unknown subcommand, no arguments", "[cli][usage]") {
  Workdir w;
  auto flag = w.run({"run", "pipelines/sample.yaml", "--bogus"});
  CHECK(flag.code == 2);
  CHECK(has(flag.err + flag.out, "--bogus"));
  auto sub = w.run({"frobnicate"});
  CHECK(sub.code == 2);
  CHECK(has(sub.err, "frobnicate"));
  auto none = w.run({});
  CHECK(none.code == 2);
  auto missing_file = w.run({"check"});
  CHECK(missing_file.code == 2);
}

TEST_CASE("flowrun nodes lists the file node types", "[cli][nodes]") {
  Workdir w;
  auto r = w.run({"nodes"});
  CHECK(r.code == 0);
  for (const char* t : {"file ", "jsonl ", "csv ", "dead_letter "}) CHECK(has(r.out, t));
  auto one = w.run({"nodes", "file"});
  CHECK(one.code == 0);
  CHECK(has(one.out, "path"));
  auto unknown = w.run({"nodes", "fil"});
  CHECK(unknown.code == 2);
  CHECK(has(unknown.err, "did you mean 'file'?"));
}

TEST_CASE("flowrun dot prints DOT that Graphviz renders", "[cli][dot]") {
  Workdir w;
  auto r = w.run({"dot", "pipelines/sample.yaml"});
  REQUIRE(r.code == 0);
  CHECK(r.out.rfind("digraph \"sample\"", 0) == 0);
  CHECK(has(r.out, "\"parcels\" -> \"rejects\" [label=\"errors\""));
  CHECK(has(r.out, "cluster_legend"));
  std::ofstream(w.dir / "g.dot") << r.out;
  if (::access("/usr/bin/dot", X_OK) == 0) CHECK(graphviz_parses(w.dir / "g.dot") == 0);
}

TEST_CASE("the --dot-out flag writes the graph with counts after a run, and it renders", "[cli][dot]") {
  Workdir w;
  auto r = w.run({"pipelines/sample.yaml", "--dot-out", "run.dot", "-q", "--json"});
  REQUIRE(r.code == 0);
  auto dot = slurp(w.dir / "run.dot");
  CHECK(has(dot, "\"parcels\" -> \"to_jsonl\" [label=\"8\""));
  CHECK(has(dot, "\"parcels\" -> \"to_csv\" [label=\"8\""));
  CHECK(has(dot, "\"parcels\" -> \"rejects\" [label=\"errors: 1\""));
  CHECK(has(dot, "errors: 1"));  // on the parcels node
  CHECK(has(dot, ": ok"));
  if (::access("/usr/bin/dot", X_OK) == 0) CHECK(graphviz_parses(w.dir / "run.dot") == 0);
}

TEST_CASE("SIGINT stops the sources, drains, prints the summary and exits 130", "[cli][signal]") {
  Workdir w;
  // An endless source: the file node reads a FIFO that this test keeps writing to.
  const fs::path fifo = w.dir / "endless.jsonl";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::ofstream(w.dir / "endless.yaml") << R"(name: endless
nodes:
  src: {type: file, path: endless.jsonl}
  sink: {type: jsonl, inputs: [src], path: out/endless.jsonl}
)";
  fs::create_directories(w.dir / "out");
  std::ofstream(w.dir / "out/endless.jsonl") << "{\"yesterday\":true}\n";
  ::signal(SIGPIPE, SIG_IGN);
  Child child({kBin, "endless.yaml", "--json", "-q"}, w.dir);
  std::atomic<bool> stop{false};
  std::atomic<long> written{0};
  std::thread writer([&] {
    int fd = -1;
    while (!stop && fd < 0) {  // non-blocking open fails with ENXIO until the reader opened it
      fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (long i = 0; !stop && fd >= 0; ++i) {
      std::string line = "{\"n\":" + std::to_string(i) + "}\n";
      ssize_t n = ::write(fd, line.data(), line.size());
      if (n < 0 && errno == EAGAIN) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --i;
        continue;
      }
      if (n < 0) break;  // EPIPE: the reader is gone
      ++written;
    }
    if (fd >= 0) ::close(fd);
  });
  // Wait until records are flowing (count, don't time), then interrupt.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (written < 5000 && child.running() && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(written >= 5000);
  REQUIRE(child.running());
  ::kill(child.pid(), SIGINT);
  auto r = child.wait(std::chrono::seconds(60));
  stop = true;
  writer.join();
  INFO(r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exited);
  CHECK(r.code == 130);
  CHECK(has(r.err, "interrupted"));
  CHECK(has(r.err, "node "));  // the summary table is still printed
  json::object s = json::parse(r.out).as_object();
  CHECK(s.at("status") == "interrupted");
  CHECK(s.at("exit_code").as_int64() == 130);
  // drained: everything the source emitted reached the sink, which keeps yesterday's file
  // (an interrupted run publishes nothing) and says so
  const auto emitted = node_of(s, "src").at("out").as_int64();
  CHECK(emitted > 0);
  CHECK(node_of(s, "sink").at("in").as_int64() == emitted);
  CHECK(count_lines(w.dir / "out/endless.jsonl") == 1);
  CHECK(has(r.err, "not published to"));
}

TEST_CASE("flowrun test: PASS/FAIL per test, a total, exit 0 / 1 / 2", "[cli][test]") {
  Workdir w;
  auto shipped = w.run({"test", "pipelines/tests/daily_test.yaml"});
  INFO(shipped.out << shipped.err);
  CHECK(shipped.code == 0);
  CHECK(has(shipped.out, "PASS pipelines/tests/daily_test.yaml: "));
  CHECK(has(shipped.out, " passed, 0 failed"));

  // A test whose expectation is wrong fails with exit 1 and says why.
  std::ofstream(w.dir / "wrong.yaml") << R"(nodes:
  src: {type: file, path: in.jsonl}
  out: {type: jsonl, inputs: [src], path: out.jsonl}
tests:
  - name: the id is kept
    inputs: [{insert_at: src, records: [{id: 1}]}]
    outputs: [{extract_from: src, expect: [{id: 2}]}]
)";
  auto wrong = w.run({"test", "wrong.yaml"});
  INFO(wrong.out << wrong.err);
  CHECK(wrong.code == 1);
  CHECK(has(wrong.out, "FAIL wrong.yaml: the id is kept"));
  CHECK(has(wrong.out, "0 passed, 1 failed"));

  // A test spec naming a node that does not exist is invalid: exit 2 with file:line:column.
  std::ofstream(w.dir / "invalid.yaml") << R"(nodes:
  src: {type: file, path: in.jsonl}
  out: {type: jsonl, inputs: [src], path: out.jsonl}
tests:
  - name: nowhere
    inputs: [{insert_at: nosuchnode, records: [{id: 1}]}]
    outputs: [{extract_from: src, count: 1}]
)";
  auto invalid = w.run({"test", "invalid.yaml"});
  INFO(invalid.out << invalid.err);
  CHECK(invalid.code == 2);
  CHECK(has(invalid.err, "invalid.yaml:6:"));
}

TEST_CASE("flowrun report writes the latest run's report from the store", "[cli][report]") {
  Workdir w;
  std::ofstream(w.dir / "in.jsonl") << "{\"id\": \"a\", \"price\": 100}\n{\"id\": \"b\", \"price\": 300}\n";
  std::ofstream(w.dir / "p.yaml") << R"(name: reported
store: sqlite:out/r.db
nodes:
  src: {type: file, path: in.jsonl, id_field: id}
  store: {type: store, inputs: [src]}
)";
  auto run = w.run({"run", "p.yaml", "--quiet", "--json"});
  INFO(run.err);
  REQUIRE(run.code == 0);
  auto rep = w.run({"report", "p.yaml", "--out", "out/report.json"});
  INFO(rep.err);
  CHECK(rep.code == 0);
  std::ifstream in(w.dir / "out/report.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto report = json::parse(ss.str()).as_object();
  REQUIRE(report.contains("run"));
  CHECK(report.at("run").at("pipeline") == "reported");
  CHECK(report.at("run").at("status") == "ok");
  CHECK(report.at("headline").at("new").to_number<int>() == 2);
  auto week = w.run({"report", "p.yaml", "--period", "7d", "--out", "out/week.csv"});
  CHECK(week.code == 0);
  CHECK(fs::exists(w.dir / "out/week.csv"));
  CHECK(w.run({"report", "p.yaml", "--period", "week", "--out", "x.csv"}).code == 2);
  // No store anywhere: usage error.
  auto none = w.run({"report", "--out", "x.html"});
  CHECK(none.code == 2);
}

TEST_CASE("the shipped cassette runs pipelines/daily.yaml offline, LLM included", "[cli][replay]") {
  // The README's main command. If this fails after a change to the pipeline's requests, re-record
  // with pipelines/cassettes/record-daily.sh.
  Workdir w;
  ::setenv("MARICOPA_API_KEY", "replay-only", 1);
  ::unsetenv("OLLAMA_URL");
  ::unsetenv("FLOWRUN_STORE");
  auto r = w.run({"run", "pipelines/daily.yaml", "--replay", "pipelines/cassettes/daily", "--json", "--quiet"});
  ::unsetenv("MARICOPA_API_KEY");
  INFO(r.err.substr(0, 4000));
  REQUIRE(r.exited);
  CHECK(r.code == 0);
  auto s = json::parse(r.out).as_object();
  const auto& counters = s.at("counters").as_object();
  auto counter = [&](const char* k) { return counters.contains(k) ? counters.at(k).to_number<double>() : 0.0; };
  CHECK(counter("http.replayed") == counter("http.requests"));
  CHECK(counter("http.replayed") > 300);
  CHECK(counter("llm.calls") > 100);      // replayed LLM replies, not the pass-through fallback
  CHECK(counter("llm.unavailable") == 0);
  CHECK(counter("store.inserted") > 100);
  CHECK(node_of(s, "assessor").at("out").to_number<int>() == 75);
  CHECK(node_of(s, "redfin").at("out").to_number<int>() == 26);
  CHECK(fs::exists(w.dir / "out/daily/flowrun.db"));
  CHECK(fs::exists(w.dir / "out/daily/report.html"));
}

TEST_CASE("JSON logs (--log-format json): one JSON object per line, record lines carry the trace id", "[cli][log]") {
  Workdir w;
  // Global options before the file: `flowrun --log-format json FILE` still means `run FILE`.
  auto r = w.run({"--log-format", "json", "--log-level", "debug", "pipelines/sample.yaml", "--quiet", "--json"});
  REQUIRE(r.exited);
  CHECK(r.code == 0);
  int json_lines = 0, record_lines = 0;
  std::istringstream in(r.err);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;  // the summary table is not a log line
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    INFO(line);
    REQUIRE(!ec);
    ++json_lines;
    const std::string msg(v.as_object().at("msg").as_string());
    // The sample's bad line (6) is logged with its trace id: "[<run id>-<n>] node parcels: ..."
    if (has(msg, "node parcels: record to errors")) {
      ++record_lines;
      CHECK(msg.rfind("[", 0) == 0);
      CHECK(has(msg, "sample_parcels.jsonl:6: invalid JSON"));
    }
  }
  CHECK(json_lines >= 2);
  CHECK(record_lines == 1);
}
