// Running pipelines: accounting, error routing, dead letters, fatal nodes, after: ordering,
// fan-out, ports, max_error_rate.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "tests/engine/test_nodes.hpp"

using namespace flowrun;
using namespace flowrun::testing;
namespace fs = std::filesystem;

namespace {

// A fresh temp folder that is the current directory while it lives (the implicit dead-letter
// node writes to the relative default path out/dead_letters.jsonl).
struct TempCwd {
  fs::path dir, old;
  TempCwd() {
    char tmpl[] = "/tmp/flowrun-engine-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    old = fs::current_path();
    fs::current_path(dir);
  }
  ~TempCwd() {
    fs::current_path(old);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::vector<json::object> read_jsonl(const fs::path& p) {
  std::vector<json::object> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line).as_object());
  return out;
}

// Every run checks every node's balance (tests/shared/run_checks.hpp).
RunSummary run(const std::string& yaml) {
  reset_observations();
  return run_checked(load_ok(yaml), test_registry());
}

std::vector<Record> captured(const std::string& id) {
  std::lock_guard lock(obs().mu);
  return obs().captured[id];
}

}  // namespace

TEST_CASE("every node balances: in = out + errors + filtered, and in = received", "[run][counts]") {
  TempCwd tmp;
  // n = 1..1000; t1 fails multiples of 7 (142); t2 drops odd ones; the sink gets the rest.
  auto s = run(R"(nodes:
  src: {type: counter, count: 1000}
  t1: {type: throw_if, every: 7, inputs: [src]}
  t2: {type: filter_odd, inputs: [t1]}
  sink: {type: capture, inputs: [t2]}
)");
  CHECK(s.exit_code == 0);
  CHECK(s.status == "ok");
  CHECK(node(s, "src").out == 1000);
  CHECK(node(s, "t1").in == 1000);
  CHECK(node(s, "t1").errors == 142);
  CHECK(node(s, "t1").out == 858);
  // odd numbers 1..1000 that are not multiples of 7: 500 - 71
  CHECK(node(s, "t2").filtered == 429);
  CHECK(node(s, "t2").out == 429);
  CHECK(node(s, "sink").in == 429);
  CHECK(captured("sink").size() == 429);
  CHECK(node(s, "dead_letters").in == 142);
  CHECK(s.source_records == 1000);
  CHECK(s.dead_letters == 142);
}

TEST_CASE("a node whose counts do not add up fails the run, naming it and its counts", "[run][counts]") {
  TempCwd tmp;
  reset_observations();
  // The sink holds each record and then says it wrote two: 10 in, 20 out.
  auto s = run_expecting_imbalance(load_ok(R"(nodes:
  src: {type: counter, count: 10}
  sink: {type: miscounting_sink, inputs: [src]}
)"), test_registry());
  CHECK(node(s, "sink").in == 10);
  CHECK(node(s, "sink").out == 20);
  CHECK_FALSE(node(s, "sink").balanced);
  CHECK(s.exit_code == 1);
  CHECK(s.status == "failed");
  CHECK(s.failure.find("node 'sink' does not balance: in 10, received 10, out 20") != std::string::npos);
}

TEST_CASE("a throwing node sends the record to its errors port with message and node id", "[run][errors]") {
  auto s = run(R"(nodes:
  src: {type: counter, count: 100}
  t1: {type: throw_if, every: 10, inputs: [src]}
  ok: {type: capture, inputs: [t1]}
  bad: {type: capture, inputs: [t1.errors]}
)");
  auto bad = captured("bad");
  REQUIRE(bad.size() == 10);
  std::set<std::int64_t> ns;
  for (const auto& r : bad) {
    const auto& e = r.meta.at("error").as_object();
    CHECK(e.at("node") == "t1");
    CHECK(e.at("port") == "errors");
    const auto n = r.data.at("n").as_int64();
    ns.insert(n);
    CHECK(e.at("message") == json::string("boom at n=" + std::to_string(n)));
    CHECK(r.env.source == "src");  // the envelope survives, so the record can be named
    CHECK_FALSE(r.env.trace_id.empty());
  }
  CHECK(ns == std::set<std::int64_t>{10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
  // the graph kept going: every other record arrived, the last one included
  auto ok = captured("ok");
  CHECK(ok.size() == 90);
  bool saw_99 = false;
  for (const auto& r : ok) saw_99 = saw_99 || r.data.at("n").as_int64() == 99;
  CHECK(saw_99);
  // no implicit dead-letter node: the errors port is consumed
  CHECK(s.dead_letters == 0);
}

TEST_CASE("RecordError carries field and rule to the error record", "[run][errors]") {
  auto s = run(R"(nodes:
  src: {type: counter, count: 9}
  t1: {type: throw_if, every: 3, record_error: true, inputs: [src]}
  ok: {type: capture, inputs: [t1]}
  bad: {type: capture, inputs: [t1.errors]}
)");
  auto bad = captured("bad");
  REQUIRE(bad.size() == 3);
  for (const auto& r : bad) {
    const auto& e = r.meta.at("error").as_object();
    CHECK(e.at("field") == "n");
    CHECK(e.at("rule") == "not_divisible");
    CHECK(e.at("message").as_string().ends_with("is divisible by 3"));
  }
}

TEST_CASE("unconsumed error ports reach the implicit dead_letter node, which writes JSONL", "[run][dead_letter]") {
  TempCwd tmp;
  const std::string yaml = R"(nodes:
  src: {type: counter, count: 50}
  t1: {type: throw_if, every: 5, inputs: [src]}
  sink: {type: capture, inputs: [t1]}
)";
  auto g = load_ok(yaml);
  const GraphNode* dl = g.find("dead_letters");
  REQUIRE(dl);
  CHECK(dl->type == "dead_letter");
  // every node's errors port is routed there, marked implicit (DOT draws them dotted)
  std::set<std::string> from;
  for (const auto& in : dl->inputs) {
    CHECK(in.implicit);
    CHECK(in.port == "errors");
    from.insert(in.node);
  }
  CHECK(from == std::set<std::string>{"src", "t1", "sink"});

  reset_observations();
  auto s = run_checked(g, test_registry());
  CHECK(s.exit_code == 0);  // dead letters alone never fail a run without max_error_rate
  auto lines = read_jsonl(tmp.dir / "out/dead_letters.jsonl");
  REQUIRE(lines.size() == 10);
  for (const auto& l : lines) {
    CHECK(l.at("node") == "t1");
    CHECK(l.at("source") == "src");
    CHECK(l.at("reason").as_string().starts_with("boom at n="));
    CHECK(l.at("record").as_object().contains("n"));
  }
}

TEST_CASE("a declared dead_letter node receives every unconsumed error-like port", "[run][dead_letter]") {
  TempCwd tmp;
  // n = 1..20: t1 fails 4, 8, 12, 16, 20; sp sends the 10 odd ones to `rejected`, which nobody
  // consumes, so they are dead letters too.
  auto s = run(R"(nodes:
  src: {type: counter, count: 20}
  t1: {type: throw_if, every: 4, inputs: [src]}
  sp: {type: split, inputs: [t1]}
  even: {type: capture, inputs: [sp]}
  rejects: {type: dead_letter, path: dl/rejects.jsonl}
)");
  CHECK(node(s, "rejects").in == 15);
  CHECK(s.dead_letters == 15);
  auto lines = read_jsonl(tmp.dir / "dl/rejects.jsonl");
  REQUIRE(lines.size() == 15);
  int rejected = 0, errors = 0;
  for (const auto& l : lines) {
    if (l.at("port") == "rejected") {
      ++rejected;
      CHECK(l.at("node") == "sp");
    }
    if (l.at("port") == "errors") {
      ++errors;
      CHECK(l.at("node") == "t1");
    }
  }
  CHECK(rejected == 10);
  CHECK(errors == 5);
  CHECK_FALSE(fs::exists(tmp.dir / "out/dead_letters.jsonl"));  // no implicit node was added
}

TEST_CASE("fatal: true stops the run with exit code 1", "[run][fatal]") {
  auto s = run(R"(nodes:
  src: {type: counter, count: 1000000}
  t1: {type: throw_if, every: 100, fatal: true, inputs: [src]}
  sink: {type: capture, inputs: [t1]}
  bad: {type: capture, inputs: [t1.errors]}
)");
  CHECK(s.exit_code == 1);
  CHECK(s.status == "failed");
  CHECK(s.counters.count("fatal") == 1);
  CHECK(node(s, "src").out < 1000000);  // the source was told to stop, and what was in flight
                                        // drained: every node balances (run() checks it)
}

TEST_CASE("without fatal the same failure is only dead-lettered", "[run][fatal]") {
  auto s = run(R"(nodes:
  src: {type: counter, count: 1000}
  t1: {type: throw_if, every: 100, inputs: [src]}
  sink: {type: capture, inputs: [t1]}
  bad: {type: capture, inputs: [t1.errors]}
)");
  CHECK(s.exit_code == 0);
  CHECK(node(s, "src").out == 1000);
  CHECK(node(s, "bad").in == 10);
}

TEST_CASE("a source that throws stops with its reason and fails the run", "[run][errors]") {
  auto s = run(R"(nodes:
  src: {type: counter, count: 100, fail_after: 30}
  sink: {type: capture, inputs: [src]}
)");
  CHECK(s.exit_code == 1);
  CHECK(node(s, "src").out == 30);
  CHECK(node(s, "src").stopped_reason == "counter gave up after 30");
  CHECK(node(s, "sink").in == 30);
}

TEST_CASE("after: starts a source only when the first one has finished", "[run][after]") {
  auto s = run(R"(nodes:
  first: {type: counter, count: 300}
  second: {type: counter, count: 300, after: [first]}
  sink: {type: capture, inputs: [first, second]}
)");
  CHECK(s.exit_code == 0);
  CHECK(node(s, "sink").in == 600);
  std::lock_guard lock(obs().mu);
  CHECK(obs().first_event.at("second") > obs().last_event.at("first"));
}

TEST_CASE("after: holds a transform's records until the named node has finished", "[run][after]") {
  // `late` gets records from `quick` at once but may only process them after `slow` finished;
  // `slow` is slowed by its own consumer (buffer 4, 50 µs each).
  auto s = run(R"(nodes:
  slow: {type: counter, count: 2000}
  slow_sink: {type: slow_sink, us: 50, buffer: 4, inputs: [slow]}
  quick: {type: counter, count: 50}
  late: {type: capture, inputs: [quick], after: [slow]}
)");
  CHECK(node(s, "late").in == 50);
  std::lock_guard lock(obs().mu);
  CHECK(obs().first_event.at("late") > obs().last_event.at("slow"));
}

TEST_CASE("a node gated on a sibling sink never blocks the shared source (no deadlock)", "[run][after]") {
  // `report` waits for `store`, and both are fed by `src`. Were the held records counted against
  // report's buffer of 4, src would block at record 5 and store could never finish.
  auto s = run(R"(nodes:
  src: {type: counter, count: 3000}
  store: {type: capture, inputs: [src]}
  report: {type: capture, inputs: [src], after: [store], buffer: 4}
)");
  CHECK(s.exit_code == 0);
  CHECK(node(s, "report").in == 3000);
  std::lock_guard lock(obs().mu);
  CHECK(obs().first_event.at("report") > obs().last_event.at("store"));
}

TEST_CASE("without after: the same sources interleave (the ordering test can fail)", "[run][after]") {
  // Control for the test above: with both sources started together and a slow consumer, the
  // second source emits before the first has finished.
  auto s = run(R"(nodes:
  first: {type: counter, count: 3000}
  second: {type: counter, count: 3000}
  sink: {type: slow_sink, us: 50, buffer: 8, inputs: [first, second]}
)");
  CHECK(node(s, "sink").in == 6000);
  std::lock_guard lock(obs().mu);
  CHECK(obs().first_event.at("second") < obs().last_event.at("first"));
}

TEST_CASE("fan-out: one output feeds two sinks, each gets every record", "[run][fanout]") {
  auto s = run(R"(nodes:
  src: {type: counter, count: 500}
  a: {type: capture, inputs: [src]}
  b: {type: capture, inputs: [src]}
)");
  CHECK(captured("a").size() == 500);
  CHECK(captured("b").size() == 500);
  int edges = 0;
  for (const auto& e : s.edges)
    if (e.from == "src" && e.port == "out") {
      ++edges;
      CHECK(e.count == 500);
    }
  CHECK(edges == 2);
}

TEST_CASE("ports: a declared port and x.errors are wired by name", "[run][ports]") {
  auto s = run(R"(nodes:
  src: {type: counter, count: 100}
  t1: {type: throw_if, every: 25, inputs: [src]}
  sp: {type: split, inputs: [t1]}
  even: {type: capture, inputs: [sp]}
  odd: {type: capture, inputs: [sp.rejected]}
  errs: {type: capture, inputs: [t1.errors]}
)");
  CHECK(captured("errs").size() == 4);
  CHECK(captured("odd").size() == 48);   // odd n minus 25 and 75
  CHECK(captured("even").size() == 48);  // even n minus 50 and 100
  for (const auto& r : captured("odd")) {
    CHECK(r.data.at("n").as_int64() % 2 == 1);
    CHECK(r.meta.at("error").as_object().at("port") == "rejected");  // tagged with where it left
  }
  for (const auto& e : s.edges)
    if (e.from == "sp" && e.port == "rejected") CHECK(e.count == 48);
}

TEST_CASE("max_error_rate exceeded gives exit code 1, under it, 0", "[run][error_rate]") {
  TempCwd tmp;
  auto over = run(R"(max_error_rate: 0.05
nodes:
  src: {type: counter, count: 100}
  t1: {type: throw_if, every: 10, inputs: [src]}
  sink: {type: capture, inputs: [t1]}
)");
  CHECK(over.dead_letters == 10);
  CHECK(over.error_rate == Approx(0.10));
  CHECK(over.max_error_rate == Approx(0.05));
  CHECK(over.exit_code == 1);
  CHECK(over.status == "failed");

  auto under = run(R"(max_error_rate: 0.2
nodes:
  src: {type: counter, count: 100}
  t1: {type: throw_if, every: 10, inputs: [src]}
  sink: {type: capture, inputs: [t1]}
)");
  CHECK(under.exit_code == 0);

  auto unset = run(R"(nodes:
  src: {type: counter, count: 100}
  t1: {type: throw_if, every: 10, inputs: [src]}
  sink: {type: capture, inputs: [t1]}
)");
  CHECK(unset.dead_letters == 10);
  CHECK(unset.exit_code == 0);
}

TEST_CASE("the summary renders as a table and as JSON with per-node counts", "[run][summary]") {
  TempCwd tmp;
  auto s = run(R"(nodes:
  src: {type: counter, count: 20}
  t1: {type: throw_if, every: 10, inputs: [src]}
  sink: {type: capture, inputs: [t1]}
)");
  auto j = json::parse(json::serialize(s.to_json())).as_object();
  CHECK(j.at("status") == "ok");
  bool found = false;
  for (const auto& n : j.at("nodes").as_array()) {
    const auto& o = n.as_object();
    if (o.at("id") != "t1") continue;
    found = true;
    CHECK(o.at("in").as_int64() == 20);
    CHECK(o.at("out").as_int64() == 18);
    CHECK(o.at("errors").as_int64() == 2);
    CHECK(o.at("balanced").as_bool());
  }
  CHECK(found);
  auto table = s.to_table();
  CHECK(table.find("t1") != std::string::npos);
  CHECK(table.find("UNBALANCED") == std::string::npos);
  CHECK(table.find("2 dead letters") != std::string::npos);
}

TEST_CASE("close() may still emit: an aggregate reaches the sink after every input", "[run][close]") {
  auto s = run(R"(nodes:
  src: {type: counter, count: 250}
  sum: {type: tally, concurrency: 4, inputs: [src]}
  sink: {type: capture, inputs: [sum]}
)");
  CHECK(node(s, "sum").in == 250);
  CHECK(node(s, "sum").out == 250);  // every input went into the total emitted in close()
  CHECK(node(s, "sum").filtered == 0);
  auto got = captured("sink");
  REQUIRE(got.size() == 1);
  CHECK(got[0].data.at("total").as_int64() == 250);
  CHECK(node(s, "sink").in == 1);
  CHECK(node(s, "sink").balanced);
}

// Regression: run_body() once called trip_fatal() only in the
// `catch (const std::exception&)` branch; the `catch (const RecordError&)` branch before it (and
// `catch (...)`) never do, so a `fatal: true` node that throws RecordError does not stop the run.
TEST_CASE("fatal: true also stops the run when the node throws RecordError", "[run][fatal]") {
  auto s = run(R"(nodes:
  src: {type: counter, count: 200000}
  t1: {type: throw_if, every: 100, record_error: true, fatal: true, inputs: [src]}
  sink: {type: slow_sink, us: 0, inputs: [t1]}
  bad: {type: capture, inputs: [t1.errors]}
)");
  CHECK(s.exit_code == 1);
  CHECK(node(s, "src").out < 200000);
}

TEST_CASE("a sink whose target is a device writes in place: /dev/full fails the run and stays a device",
          "[run][sink][faults]") {
  TempCwd tmp;
  if (!fs::is_character_file("/dev/full")) return;  // no such device here: nothing to show
  const std::string yaml = R"(nodes:
  src: {type: counter, count: 2000}
  sink: {type: jsonl, inputs: [src], path: /dev/full}
)";
  auto s = run_checked(load_ok(yaml), test_registry());
  CHECK(s.exit_code == 1);
  CHECK(s.status == "failed");
  CHECK(s.failure.find("No space left on device") != std::string::npos);
  const auto& sink = node(s, "sink");
  CHECK(sink.in == sink.out + sink.errors + sink.filtered + sink.unwritten);
  CHECK(sink.out == 0);  // nothing counted written that never was
  CHECK(fs::is_character_file("/dev/full"));  // never replaced by a regular file
}
