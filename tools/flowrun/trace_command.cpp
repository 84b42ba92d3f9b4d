// flowrun trace ID [PIPELINE] [--store URL] [--trace-file PATH]
// Prints where record ID went: the store rows that carry its trace id (which run, dead-letter
// reason) and, from a trace file, each node it passed with port, outcome, time and attempts.
// Exit codes: 0 found, 1 found nowhere (or the store/trace file could not be read), 2 usage.
#include "tools/flowrun/trace_command.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "engine/pipeline.hpp"
#include "tools/flowrun/commands.hpp"
#ifdef FLOWRUN_HAVE_STORE
#include "nodes/store/lineage.hpp"
#endif

namespace flowrun::cli {

namespace {

namespace json = boost::json;

struct TraceArgs {
  std::string id, pipeline, store, trace_file;
};

std::string str(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}
double num(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  return v && v->is_number() ? v->to_number<double>() : 0;
}

// The trace file's lines for `id`, printed as the record's path. Returns how many there were.
int print_path(const std::string& path, const std::string& id, bool& failed) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "flowrun trace: cannot read trace file '" << path << "'\n";
    failed = true;
    return 0;
  }
  int n = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(id) == std::string::npos) continue;  // cheap pre-filter before parsing
    json::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object() || str(v.get_object(), "trace") != id) continue;
    const auto& o = v.get_object();
    if (n++ == 0) std::cout << fmt::format("path (from {}):\n  {:>10}  {:<20} {:<10} {:<9} {:>9}  {}\n", path,
                                           "at_ms", "node", "port", "outcome", "ms", "attempt");
    std::cout << fmt::format("  {:>10.3f}  {:<20} {:<10} {:<9} {:>9.3f}  {}\n", num(o, "at_ms"), str(o, "node"),
                             str(o, "port").empty() ? "-" : str(o, "port"), str(o, "outcome"), num(o, "ms"),
                             static_cast<int>(num(o, "attempt")));
  }
  return n;
}

#ifdef FLOWRUN_HAVE_STORE
// A dead letter's port and attempt, from the record JSON it keeps.
std::string dead_letter_extra(const std::string& record) {
  json::error_code ec;
  auto v = json::parse(record, ec);
  if (ec || !v.is_object()) return "";
  std::string out;
  if (const auto* m = v.get_object().if_contains("meta"); m && m->is_object())
    if (const auto* e = m->get_object().if_contains("error"); e && e->is_object())
      if (auto port = str(e->get_object(), "port"); !port.empty()) out += " port " + port;
  if (const auto* e = v.get_object().if_contains("env"); e && e->is_object())
    out += fmt::format(" attempt {}", static_cast<int>(num(e->get_object(), "attempt")));
  return out;
}

int print_store(const std::string& url, const std::string& id, bool& failed) {
  try {
    auto db = store::Store::open(url);
    auto l = store::lineage_of(*db, id);
    std::cout << fmt::format("record {}: run {}{}\n", id, l.run_id.empty() ? "?" : l.run_id,
                             l.run_status.empty() ? " (not in the run ledger)" : " (" + l.run_status + ")");
    if (l.rows.empty()) {
      std::cout << "store " << store::redact_url(url) << ": no row carries this trace id\n";
      return 0;
    }
    std::cout << "store " << store::redact_url(url) << ":\n";
    for (const auto& r : l.rows) {
      std::string detail = r.detail;
      if (r.table == "dead_letters") detail = "dead letter from " + r.detail + dead_letter_extra(r.record);
      std::cout << fmt::format("  {:<16} {:<28} run {}  at {}{}\n", r.table, r.key, r.run_id, r.at,
                               detail.empty() ? "" : "  " + detail);
    }
    return static_cast<int>(l.rows.size());
  } catch (const std::exception& e) {
    std::cerr << "flowrun trace: " << e.what() << "\n";
    failed = true;
    return 0;
  }
}
#endif

int trace(const TraceArgs& a, const Registry& registry) {
  std::string url = a.store;
  if (!a.pipeline.empty()) {
    auto r = load_pipeline_file(a.pipeline, registry, {});
    if (print_diagnostics(r.diagnostics)) return 2;
    if (url.empty()) url = r.graph.store;
  }
  if (url.empty() && a.trace_file.empty()) {
    std::cerr << "flowrun trace: nothing to look in: give a pipeline with a store:, --store URL or --trace-file PATH\n";
    return 2;
  }
  bool failed = false;
  int found = 0;
  if (!url.empty()) {
#ifdef FLOWRUN_HAVE_STORE
    found += print_store(url, a.id, failed);
#else
    std::cerr << "flowrun trace: this build has no store module\n";
    failed = true;
#endif
  }
  if (!a.trace_file.empty()) found += print_path(a.trace_file, a.id, failed);
  else
    std::cout << "(no trace file given: node timings and ports are recorded only by `flowrun run --trace-file`)\n";
  if (found == 0 && !failed) std::cerr << "flowrun trace: no trace of record " << a.id << "\n";
  return found > 0 && !failed ? 0 : 1;
}

}  // namespace

std::function<std::optional<int>()> add_trace_command(CLI::App& app, const Registry& registry) {
  auto a = std::make_shared<TraceArgs>();
  auto* cmd = app.add_subcommand("trace", "Show one record's path: its store rows, and its nodes from a trace file");
  cmd->add_option("id", a->id, "The record's trace id (\"<run id>-<n>\", in logs, dead letters and store rows)")
      ->required();
  cmd->add_option("pipeline", a->pipeline, "Pipeline YAML (gives the store URL)");
  cmd->add_option("--store", a->store, "Store URL, overrides the pipeline's");
  cmd->add_option("--trace-file", a->trace_file, "The run's trace file (`flowrun run --trace-file`)");
  return [=, &registry]() -> std::optional<int> {
    if (*cmd) return trace(*a, registry);
    return std::nullopt;
  };
}

}  // namespace flowrun::cli
