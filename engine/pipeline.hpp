// The facade: load a pipeline file into a validated Graph, run it, render it.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/diagnostics.hpp"
#include "engine/graph.hpp"
#include "engine/metrics.hpp"
#include "engine/registry.hpp"

namespace flowrun {

struct LoadOptions {
  std::vector<std::string> sets;             // --set path.to.key=value (YAML value)
  std::map<std::string, std::string> vars;   // --var name=value (commas make a list)
  bool strict = false;                       // warnings count as errors
  // Whether the environment variables the pipeline references must be set. Only running needs
  // them (and `check --env`); check, dot, test and report read an unset one as "" with a note.
  bool need_env = true;
};

struct LoadResult {
  Graph graph;
  Diagnostics diagnostics;
  bool ok() const { return !diagnostics.has_errors(); }
};

// Parses, substitutes ${env.X}/${vars.x}, applies mode sugar, validates against the registry.
// Never throws for a bad pipeline: every problem is a diagnostic with file:line:column.
LoadResult load_pipeline_file(const std::string& path, const Registry& registry,
                              const LoadOptions& opts = {});
LoadResult load_pipeline_string(const std::string& yaml_text, const std::string& file_name,
                                const Registry& registry, const LoadOptions& opts = {});

class RunContext;
class RecordTrace;

struct RunOptions {
  std::map<std::string, std::string> settings;  // merged over the graph's settings
  bool handle_signals = false;                  // install SIGINT/SIGTERM: stop sources, drain
  std::string run_id;                           // "" = generated
  // Called on the main thread about every `progress_every` with a summary of the run so far
  // (live progress lines, the /metrics endpoint).
  std::function<void(const RunSummary&)> on_progress;
  std::chrono::milliseconds progress_every{250};
  // Clustered runs (engine/cluster.hpp): called on the main thread once this process's graph has
  // finished, before the outcome is decided and run observers hear of it. The transport waits
  // there for the other processes and merges their counts into the summary (their counters,
  // warnings and outputs into the run's context, which the summary is made from); a non-empty
  // return fails the run with that reason. `stopped`: the run was interrupted or a node was fatal.
  std::function<std::string(RunSummary&, RunContext&, bool stopped)> complete;
  // Per-record events (`flowrun run --trace-file`, engine/record_trace.hpp); null: none are kept.
  RecordTrace* trace = nullptr;
};

// Runs a validated graph to completion. Throws PipelineError if a node cannot be created or
// opened (the message names the node).
RunSummary run_pipeline(const Graph& graph, const Registry& registry, const RunOptions& opts = {});

// Prometheus text exposition of a (partial or final) run summary: served by --metrics-port and
// written by --metrics-textfile (one renderer, so both show the same families).
std::string to_prometheus(const RunSummary& s);
// Writes to_prometheus(s) to `path` atomically (temp file + rename), so node_exporter's textfile
// collector never reads half a file. Throws std::runtime_error naming the path on failure.
void write_prometheus_textfile(const std::string& path, const RunSummary& s);

// Graphviz DOT of the pipeline; with a summary, edges carry counts and nodes their errors.
std::string to_dot(const Graph& graph, const RunSummary* after_run = nullptr);

}  // namespace flowrun
