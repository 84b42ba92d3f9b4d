// Shared by every test that runs a pipeline: the accounting rule, asserted for every node of a
// run summary (in-process RunSummary, the `flowrun run --json` object or the table on stderr).
// Every record a node accepted ended as exactly one of out, errors, filtered or unwritten (what a
// node still held when it closed is counted unwritten), and what it took in is what its producers
// sent it (docs/reliability.md, "Counters that add up").
#pragma once
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#if __has_include("engine/pipeline.hpp")
#include "engine/pipeline.hpp"
#endif

namespace flowrun::testing {

inline std::int64_t count_of(const boost::json::object& n, const char* k) {
  const auto* v = n.if_contains(k);
  return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
}

// The counts of one node, as the failure message of a check names them.
struct NodeCounts {
  std::string id, role;
  std::int64_t in = 0, out = 0, errors = 0, filtered = 0, unwritten = 0, received = 0, held = 0, queued = 0;
};

// The rule for one node of a finished run: in = out + errors + filtered + unwritten (nothing still
// held or queued), and in = what its producers sent it. A source accepts nothing: its out is what
// it emitted. Records a run stopped on (a fatal error, Ctrl-C) drained first, so the rule is the
// same for a failed run: what a node could not write is `unwritten`, never missing.
inline void check_node_balanced(const NodeCounts& n) {
  INFO("node '" << n.id << "' (" << n.role << "): in " << n.in << ", out " << n.out << ", errors " << n.errors
                << ", filtered " << n.filtered << ", unwritten " << n.unwritten << ", received " << n.received
                << ", held " << n.held << ", queued " << n.queued);
  if (n.role == "source") return;
  CHECK(n.in == n.out + n.errors + n.filtered + n.unwritten);
  CHECK(n.in == n.received);
  CHECK(n.held == 0);
  CHECK(n.queued == 0);
}

// `summary`: the object `flowrun run --json` prints (RunSummary::to_json()).
inline void check_balanced(const boost::json::value& summary) {
  const auto* nodes = summary.is_object() ? summary.get_object().if_contains("nodes") : nullptr;
  REQUIRE((nodes && nodes->is_array()));
  CHECK(!nodes->get_array().empty());
  for (const auto& v : nodes->get_array()) {
    const auto& n = v.get_object();
    auto text = [&](const char* k) {
      const auto* x = n.if_contains(k);
      return x && x->is_string() ? std::string(x->get_string()) : std::string();
    };
    check_node_balanced({text("id"), text("role"), count_of(n, "in"), count_of(n, "out"), count_of(n, "errors"),
                         count_of(n, "filtered"), count_of(n, "unwritten"), count_of(n, "received"), count_of(n, "held"),
                         count_of(n, "queued")});
  }
}

// The JSON summary printed on a child's stdout (`flowrun run --json`): parsed and checked. Any
// lines before the one the summary starts on are skipped.
inline void check_balanced(const std::string& json_text) {
  const auto at = json_text.find("\n{");
  const std::string text = json_text.starts_with("{") || at == std::string::npos ? json_text : json_text.substr(at + 1);
  boost::json::error_code ec;
  auto v = boost::json::parse(text, ec);
  INFO("summary: " << text.substr(0, 400));
  REQUIRE(!ec);
  check_balanced(v);
}

// The human table `flowrun run` prints on stderr marks a node whose counts do not add up
// UNBALANCED (the engine's own check of the same rule): none may be.
inline void check_table_balanced(const std::string& err) {
  std::istringstream in(err);
  std::string bad;
  for (std::string line; std::getline(in, line);)
    if (line.find("UNBALANCED") != std::string::npos) bad += line + "\n";
  INFO("nodes whose counts do not add up:\n" << bad);
  CHECK(bad.empty());
}

// Whether `args` (without the program) make `flowrun` run a pipeline: `run FILE` or the `FILE`
// shortcut, after any global options (`--log-level debug run ...`).
inline bool is_run_command(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--log-level" || a == "--log-format") {
      ++i;
      continue;
    }
    if (a.starts_with("-")) continue;
    return a == "run" || a.ends_with(".yaml") || a.ends_with(".yml");
  }
  return false;
}

// A finished `flowrun run` child (exit 0 or 1: it ran; 2 is a usage or pipeline error, nothing
// ran): its summary must balance. With --json the summary is stdout; else the table on stderr.
// A run with --quiet and without --json prints no summary: such a test must ask for --json.
inline void check_run_output(const std::vector<std::string>& args, int exit_code, const std::string& out,
                             const std::string& err) {
  if (!is_run_command(args) || (exit_code != 0 && exit_code != 1)) return;
  bool json = false, quiet = false;
  for (const auto& a : args) json = json || a == "--json", quiet = quiet || a == "-q" || a == "--quiet";
  INFO("flowrun run, exit " << exit_code << "; stderr: " << err.substr(0, 2000));
  if (json) return check_balanced(out);
  REQUIRE_FALSE(quiet);  // no summary to check: run it with --json
  CHECK(err.find(" records from sources, ") != std::string::npos);  // the table's last line: it is there
  check_table_balanced(err);
}

#if __has_include("engine/pipeline.hpp")
inline void check_balanced(const RunSummary& s) {
  CHECK(!s.nodes.empty());
  for (const auto& n : s.nodes) {
    check_node_balanced({n.id, n.role, n.in, n.out, n.errors, n.filtered, n.unwritten, n.received, n.held, n.queued});
    CHECK(n.balanced);  // the engine's own verdict, shown in the summary table as UNBALANCED
  }
}

// Runs a pipeline in-process and checks every node's balance: the one way a test runs one
// (tests/engine/run_helpers_test.cpp makes sure no test calls run_pipeline() itself).
inline RunSummary run_checked(const Graph& graph, const Registry& registry, const RunOptions& opts = {}) {
  RunSummary s = run_pipeline(graph, registry, opts);
  check_balanced(s);
  return s;
}

// Only for the test of the engine's own verdict on a node whose counts do not add up (it runs a
// deliberately broken node): runs without the balance check, and requires that some node fails it.
inline RunSummary run_expecting_imbalance(const Graph& graph, const Registry& registry) {
  RunSummary s = run_pipeline(graph, registry);
  bool any = false;
  for (const auto& n : s.nodes) any = any || !n.balanced;
  REQUIRE(any);
  return s;
}
#endif

}  // namespace flowrun::testing
