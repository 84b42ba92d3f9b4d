// The `flowrun` command: run, worker, check, dot, nodes, test, report. Exit codes: 0 ok, 1 the run finished with
// failures (past max_error_rate, a fatal node, a source that stopped on an error), 2 invalid
// pipeline or usage, 130 interrupted.
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <oneapi/tbb/version.h>

#include <CLI/CLI.hpp>
#include <boost/version.hpp>
#include <fstream>
#include <iostream>

#include "engine/pipeline.hpp"
#include "nodes/builtin.hpp"
#include "tools/flowrun/commands.hpp"
#include "tools/flowrun/store_commands.hpp"
#include "tools/flowrun/trace_command.hpp"

namespace {

const std::vector<std::string> kCommands = {"run", "check", "dot", "nodes", "report", "test", "help",
                                            "backup", "prune", "worker", "trace"};

// `flowrun FILE` means `flowrun run FILE`, also after the global options
// (`flowrun --log-format json FILE`).
std::vector<std::string> normalise_args(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--log-level" || args[i] == "--log-format") {
      ++i;  // skip the option's value
      continue;
    }
    if (args[i].rfind("-", 0) == 0) continue;
    if (std::find(kCommands.begin(), kCommands.end(), args[i]) == kCommands.end())
      args.insert(args.begin() + static_cast<std::ptrdiff_t>(i), "run");
    break;
  }
  return args;
}

// %* in a pattern: the message escaped for a JSON string, so --log-format json stays valid JSON
// whatever a message quotes (paths, reasons, replies).
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static const char* hex = "0123456789abcdef";
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (u < 0x20) {
        const char esc[] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 15]};
        dest.append(esc, esc + sizeof esc);
      } else {
        dest.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonEscapedMessage>(); }
};

void setup_logging(const std::string& level, const std::string& format) {
  auto logger = spdlog::stderr_color_mt("flowrun");
  if (format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc, "\n");
    f->add_flag<JsonEscapedMessage>('*').set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
    logger->set_formatter(std::move(f));
  } else
    logger->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

std::string version_text() {
  const std::string boost = std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
                            "." + std::to_string(BOOST_VERSION % 100);
  return std::string("flowrun ") + FLOWRUN_VERSION + "\noneTBB " + TBB_runtime_version() + " (built with " +
         TBB_VERSION_STRING + ")\nyaml-cpp " + FLOWRUN_YAML_CPP_VERSION + "\nBoost " + boost;
}

constexpr const char* kFooter = R"(
`flowrun FILE [OPTIONS]` is short for `flowrun run FILE [OPTIONS]`.

Exit codes:
  0    ok
  1    the run failed: a write, a source or a fatal node failed, records were not written,
       or dead letters passed max_error_rate
  2    invalid pipeline, file or command line
  130  interrupted (Ctrl-C, SIGTERM): sources stopped, records in flight drained

Docs: docs/pipeline.md (pipeline files), docs/nodes.md (every node type))";

}  // namespace

int main(int argc, char** argv) {
  using namespace flowrun;
  Registry registry;
  register_builtin_nodes(registry);

  CLI::App app{"flowrun: declarative YAML dataflow pipelines on oneTBB", "flowrun"};
  app.set_version_flag("--version", version_text());
  app.footer(kFooter);
  app.require_subcommand(0, 1);
  std::string log_level = "info", log_format = "text";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}));

  cli::PipelineArgs pa;
  auto add_pipeline_args = [&pa](CLI::App* c) {
    c->add_option("file", pa.file, "Pipeline YAML file")->required();
    c->add_option("--set", pa.load.sets, "Override a YAML value: nodes.x.concurrency=4 (repeatable)");
    c->add_option("--var", pa.var_args, "Set a variable: zips=85031,85033 (commas make a list; repeatable)")
        ->check(CLI::Validator(
            [](std::string& v) {
              const auto eq = v.find('=');
              return eq == std::string::npos || eq == 0 ? "expects name=value, got '" + v + "'" : std::string();
            },
            "NAME=VALUE"));
    c->add_flag("--strict", pa.load.strict, "Treat warnings as errors");
  };

  auto* run = app.add_subcommand("run", "Run a pipeline (same as `flowrun FILE`)");
  add_pipeline_args(run);
  cli::RunArgs ra;
  run->add_flag("--json", ra.json, "Print the run summary as JSON on stdout");
  run->add_option("--dot-out", ra.dot_out, "Write the graph with per-edge counts after the run");
  run->add_option("--record", ra.record_dir, "Save every HTTP exchange into this folder (a cassette)");
  run->add_option("--replay", ra.replay_dir, "Answer HTTP from this cassette folder; no network calls");
  run->add_option("--metrics-textfile", ra.metrics_textfile, "Write Prometheus metrics to this file at the end");
  run->add_option("--store", ra.store, "Override the pipeline's store: URL");
  run->add_option("--metrics-port", ra.metrics_port, "Serve Prometheus /metrics on 127.0.0.1:PORT during the run");
  run->add_flag("--quiet,-q", ra.quiet, "No live progress lines");
  run->add_flag("--resume", ra.resume,
                "Sources with checkpoints continue their last unfinished crawl instead of starting a new one");
  run->add_option("--trace-file", ra.trace_file,
                  "Write one JSON line per record per node (ports, timings, attempts) for `flowrun trace`");
  run->add_option("--run-id", ra.run_id, "Run id (default: generated); a rerun with the same id continues its crawl");

  auto* worker = app.add_subcommand("worker", "Serve one group of a clustered pipeline's runs (docs/cluster.md)");
  add_pipeline_args(worker);
  cli::WorkerArgs wa;
  worker->add_option("--group", wa.group, "The group this worker runs (a group of the pipeline's cluster.groups)")->required();
  worker->add_flag("--once", wa.once, "Leave after the current run has finished (scripts, tests)");

  auto* check = app.add_subcommand("check", "Validate a pipeline without running it");
  add_pipeline_args(check);

  bool check_env = false;
  check->add_flag("--env", check_env, "Also check that the servers and databases the pipeline names answer");

  auto* dot = app.add_subcommand("dot", "Print the pipeline graph as Graphviz DOT");
  add_pipeline_args(dot);

  auto* nodes = app.add_subcommand("nodes", "List node types, or show one type's options");
  std::string node_type;
  bool markdown = false;
  nodes->add_option("type", node_type, "Node type to describe");
  nodes->add_flag("--markdown", markdown, "Print the reference for every type as Markdown (docs/nodes.md)");

  auto* test = app.add_subcommand("test", "Run config unit tests (a pipeline's tests: block, or test files)");
  std::vector<std::string> test_files;
  test->add_option("files", test_files, "Pipeline or test YAML files")->required();

  auto* report = app.add_subcommand("report", "Write the report of the latest run from the store");
  cli::ReportArgs rep;
  report->add_option("pipeline", rep.pipeline, "Pipeline YAML (gives the store URL and the graph)");
  report->add_option("--store", rep.store, "Store URL (sqlite:path or postgresql://...), overrides the pipeline's");
  report->add_option("--format", rep.format, "json, csv or html (default: from --out's extension)")
      ->check(CLI::IsMember({"json", "csv", "html"}));
  report->add_option("--out,-o", rep.out, "Output file")->required();
  report->add_option("--period", rep.period, "1d (the latest run) or Nd, e.g. 7d: the week ending with it")
      ->check(CLI::Validator([](std::string& v) { return cli::period_days(v) > 0 ? "" : "use 1d, 7d, ... (days)"; }, "DAYS"));

  auto store_commands = cli::add_store_commands(app, registry);  // backup, prune
  auto trace_command = cli::add_trace_command(app, registry);

  auto args = normalise_args(argc, argv);
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  pa.parse_vars();  // checked above: cannot throw
  setup_logging(log_level, log_format);
  // Only running (and `check --env`) needs the secrets a pipeline references.
  pa.load.need_env = run->parsed() || (check->parsed() && check_env);

  try {
    if (*run) return cli::run_command(pa, ra, registry);
    if (*worker) return cli::worker_command(pa, wa, registry);
    if (*check) return cli::check_command(pa, check_env, registry);
    if (*dot) return cli::dot_command(pa, registry);
    if (*nodes) return cli::nodes_command(node_type, markdown, registry);
    if (*test) return cli::test_command(test_files, registry);
    if (*report) return cli::report_command(rep, registry);
    if (auto rc = store_commands()) return *rc;
    if (auto rc = trace_command()) return *rc;
  } catch (const PipelineError& e) {
    for (const auto& d : e.diagnostics().all()) std::cerr << d.str() << "\n";
    return 2;
  }
  std::cerr << app.help();
  return 2;
}
