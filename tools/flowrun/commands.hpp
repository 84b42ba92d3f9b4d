// The subcommands of `flowrun`, one function each (commands.cpp).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/pipeline.hpp"

namespace flowrun::cli {

struct PipelineArgs {
  std::string file;
  LoadOptions load;
  std::vector<std::string> var_args;
  void parse_vars();  // var_args ("k=v") into load.vars
};

struct RunArgs {
  bool json = false, quiet = false;
  int metrics_port = 0;
  std::string dot_out, record_dir, replay_dir, metrics_textfile, store;
  bool resume = false;  // setting "resume": sources continue their last unfinished crawl
  std::string run_id;
  std::string trace_file;  // per-record events for `flowrun trace` (engine/record_trace.hpp)
};

int run_command(const PipelineArgs& pa, const RunArgs& ra, const Registry& registry);
struct WorkerArgs {
  std::string group;
  bool once = false;
};
// `flowrun worker FILE --group NAME`: serves the group's part of the pipeline's runs until
// stopped (SIGTERM drains), or of one run with --once. 2 when the pipeline has no such group.
int worker_command(const PipelineArgs& pa, const WorkerArgs& wa, const Registry& registry);
int check_command(const PipelineArgs& pa, bool check_env, const Registry& registry);
int dot_command(const PipelineArgs& pa, const Registry& registry);
int nodes_command(const std::string& type, bool markdown, const Registry& registry);
// Config unit tests: a PASS/FAIL line per test, then a total. 0 all passed, 1 a test failed,
// 2 a file or test spec is invalid.
int test_command(const std::vector<std::string>& files, const Registry& registry);

struct ReportArgs {
  std::string pipeline;  // optional: takes the store URL and the graph from it
  std::string store, format, out;
  std::string period = "1d";  // 1d: the latest run; Nd: the N days ending with it (7d: weekly)
};
int report_command(const ReportArgs& a, const Registry& registry);
// "7d" -> 7; 0 when the text is not a number of days from 1 to 366.
int period_days(const std::string& text);

// Prints diagnostics as file:line:column lines; returns 2 when any is an error, else 0.
int print_diagnostics(const Diagnostics& d);

}  // namespace flowrun::cli
