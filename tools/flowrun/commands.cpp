#include "tools/flowrun/commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <httplib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "engine/cluster.hpp"
#include "engine/json_text.hpp"
#include "engine/record_trace.hpp"
#include "engine/config_tests.hpp"
#include "engine/redact.hpp"
#include "tools/flowrun/progress.hpp"
#ifdef FLOWRUN_HAVE_REPORT
#include "nodes/report/report.hpp"
#include "nodes/report/report_format.hpp"
#include "nodes/store/store.hpp"
#endif

namespace flowrun::cli {

namespace fs = std::filesystem;

void PipelineArgs::parse_vars() {
  for (const auto& v : var_args) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) throw std::invalid_argument("--var expects name=value, got '" + v + "'");
    load.vars[v.substr(0, eq)] = v.substr(eq + 1);
  }
}

int print_diagnostics(const Diagnostics& d) {
  for (const auto& item : d.all()) std::cerr << item.str() << "\n";
  return d.has_errors() ? 2 : 0;
}

static LoadResult load(const PipelineArgs& pa, const Registry& registry) {
  return load_pipeline_file(pa.file, registry, pa.load);
}

int check_command(const PipelineArgs& pa, bool check_env, const Registry& registry) {
  auto r = load(pa, registry);
  int rc = print_diagnostics(r.diagnostics);
  if (rc == 0 && check_env) {
    std::map<std::string, std::string> settings = r.graph.settings;
    if (!r.graph.store.empty()) settings["store"] = r.graph.store;
    int failed = 0, probed = 0;
    for (const auto& n : r.graph.nodes) {
      if (!n.desc || (!n.desc->probe && !n.desc->check_env)) continue;
      ++probed;
      std::string problem;
      try {
        problem = n.desc->check_env ? n.desc->check_env(n.options, n.info, settings) : n.desc->probe(n.config, settings);
      } catch (const std::exception& e) {
        problem = e.what();
      }
      problem = redact_secrets(std::move(problem), r.graph.secrets);
      std::cerr << fmt::format("{}: node '{}' ({}): {}\n", n.where.str(), n.id, n.type, problem.empty() ? "ok" : problem);
      failed += !problem.empty();
    }
    // A clustered pipeline cannot start at all without its NATS server: that is a usage error (2).
    int cluster_failed = 0;
    if (r.graph.clustered && registry.cluster()) {
      ++probed;
      std::string problem = redact_secrets(registry.cluster()->check_env(r.graph), r.graph.secrets);
      std::cerr << fmt::format("{}: cluster ({}): {}\n", r.graph.file, registry.cluster()->name, problem.empty() ? "ok" : problem);
      cluster_failed = !problem.empty();
    }
    std::cerr << fmt::format("environment: {} of {} checks failed\n", failed + cluster_failed, probed);
    if (cluster_failed) return 2;
    if (failed) return 1;
  }
  if (rc == 0) {
    std::size_t sources = 0;
    for (const auto& n : r.graph.nodes) sources += n.role() == Role::source;
    std::cerr << fmt::format("{}: ok ({} nodes, {} sources{})\n", pa.file, r.graph.nodes.size(), sources,
                             r.graph.mode.empty() ? "" : ", mode " + r.graph.mode);
  }
  return rc;
}

int worker_command(const PipelineArgs& pa, const WorkerArgs& wa, const Registry& registry) {
  auto r = load(pa, registry);
  if (int rc = print_diagnostics(r.diagnostics)) return rc;
  if (!registry.cluster()) {
    std::cerr << pa.file << ": this build of flowrun has no cluster transport (the nats node family)\n";
    return 2;
  }
  WorkerOptions wo;
  wo.group = wa.group;
  wo.once = wa.once;
  return registry.cluster()->serve(r.graph, registry, wo);
}

int dot_command(const PipelineArgs& pa, const Registry& registry) {
  auto r = load(pa, registry);
  if (int rc = print_diagnostics(r.diagnostics)) return rc;
  std::cout << to_dot(r.graph);
  return 0;
}

int run_command(const PipelineArgs& pa, const RunArgs& ra, const Registry& registry) {
  auto r = load(pa, registry);
  if (int rc = print_diagnostics(r.diagnostics)) return rc;
  RunOptions opts;
  opts.handle_signals = true;
  opts.settings["pipeline.dot"] = to_dot(r.graph);  // the report sink embeds the graph
  if (!ra.record_dir.empty()) opts.settings["http.record"] = ra.record_dir;
  if (!ra.replay_dir.empty()) opts.settings["http.replay"] = ra.replay_dir;
  if (!ra.store.empty()) opts.settings["store"] = ra.store;
  if (ra.resume) opts.settings["resume"] = "1";
  opts.run_id = ra.run_id;
  std::unique_ptr<RecordTrace> trace;
  if (!ra.trace_file.empty()) {
    try {
      trace = std::make_unique<RecordTrace>(ra.trace_file);
    } catch (const std::exception& e) {
      spdlog::error("--trace-file: {}", e.what());
      return 2;
    }
    opts.trace = trace.get();
  }
  spdlog::info("running pipeline '{}' ({} nodes)", r.graph.name, r.graph.nodes.size());

  Progress progress(isatty(2) && !ra.quiet, std::chrono::seconds(10));
  std::mutex latest_mu;
  std::string latest_metrics;
  httplib::Server metrics_server;
  std::thread metrics_thread;
  if (ra.metrics_port > 0) {
    metrics_server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(latest_mu);
      res.set_content(latest_metrics, "text/plain; version=0.0.4");
    });
    if (!metrics_server.bind_to_port("127.0.0.1", ra.metrics_port)) {
      spdlog::error("--metrics-port {}: cannot listen on 127.0.0.1:{}", ra.metrics_port, ra.metrics_port);
      return 2;
    }
    metrics_thread = std::thread([&] { metrics_server.listen_after_bind(); });
    spdlog::info("serving metrics on http://127.0.0.1:{}/metrics", ra.metrics_port);
  }
  opts.on_progress = [&](const RunSummary& partial) {
    if (!ra.quiet) progress.update(partial);
    if (ra.metrics_port > 0) {
      std::lock_guard lock(latest_mu);
      latest_metrics = to_prometheus(partial);
    }
  };
  RunSummary s = run_pipeline(r.graph, registry, opts);
  progress.finish();
  if (trace) {
    try {
      trace->finish();
    } catch (const std::exception& e) {  // a lost output never ends in exit 0
      spdlog::error("--trace-file: {}", e.what());
      if (s.exit_code == 0) s.exit_code = 1;
    }
  }
  if (ra.metrics_port > 0) {
    metrics_server.stop();
    metrics_thread.join();
  }
  if (!ra.metrics_textfile.empty()) {
    try {
      write_prometheus_textfile(ra.metrics_textfile, s);
    } catch (const std::exception& e) {
      spdlog::error("--metrics-textfile: {}", e.what());
    }
  }
  std::cerr << s.to_table();
  if (ra.json) std::cout << to_json_text(s.to_json()) << "\n";
  if (!ra.dot_out.empty()) {
    std::ofstream out(ra.dot_out);
    if (out) out << to_dot(r.graph, &s) << std::flush;
    if (!out) {  // the run's own outcome stands, but a lost output never ends in exit 0
      spdlog::error("cannot write --dot-out file '{}': {}", ra.dot_out, std::strerror(errno));
      if (s.exit_code == 0) return 1;
    }
  }
  return s.exit_code;
}

int test_command(const std::vector<std::string>& files, const Registry& registry) {
  int passed = 0, failed = 0;
  bool invalid = false;
  for (const auto& f : files) {
    Diagnostics diags;
    auto results = run_config_tests(f, registry, diags);
    invalid = print_diagnostics(diags) != 0 || invalid;
    for (const auto& r : results) {
      std::cout << (r.passed ? "PASS " : "FAIL ") << f << ": " << r.name << "\n";
      for (const auto& why : r.failures) std::cout << "    " << why << "\n";
      (r.passed ? passed : failed)++;
    }
  }
  std::cout << fmt::format("{} passed, {} failed\n", passed, failed);
  if (invalid) return 2;
  return failed ? 1 : 0;
}

int period_days(const std::string& text) {
  int days = 0;
  char unit = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%d%c%c", &days, &unit, &extra) != 2 || unit != 'd') return 0;
  return days >= 1 && days <= 366 ? days : 0;
}

#ifdef FLOWRUN_HAVE_REPORT
// `--out -`: the report on stdout, for pipes and mail.
static int report_to_stdout(const std::string& url, const std::string& format, const std::string& dot,
                            const report::ReportOptions& opts) {
  try {
    auto st = store::Store::open(url);
    const auto rep = report::collect_report(*st, opts);
    std::cout << (format == "json" ? report::render_json(rep) : format == "csv" ? report::render_csv(rep) : report::render_html(rep, dot));
    std::cout.flush();
    if (!std::cout) throw std::runtime_error("cannot write to stdout");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "flowrun report: " << e.what() << "\n";
    return 1;
  }
}
#endif

int report_command(const ReportArgs& a, const Registry& registry) {
#ifdef FLOWRUN_HAVE_REPORT
  std::string url = a.store, dot;
  if (!a.pipeline.empty()) {
    LoadOptions lo;
    lo.need_env = false;  // the report reads the store; the pipeline's secrets are not needed
    auto r = load_pipeline_file(a.pipeline, registry, lo);
    if (int rc = print_diagnostics(r.diagnostics)) return rc;
    if (url.empty()) url = r.graph.store;
    dot = to_dot(r.graph);
  }
  if (url.empty()) {
    std::cerr << "flowrun report: no store: give --store URL or a pipeline that names its store:\n";
    return 2;
  }
  // A report of a store that is not there is a mistake (a misspelt path), not an empty report;
  // opening it would create an empty database.
  if (const std::string file = store::sqlite_path_of(url); !file.empty() && file != ":memory:" && !fs::exists(file)) {
    std::cerr << fmt::format("flowrun report: store {} does not exist: No such file or directory\n", store::redact_url(url));
    return 2;
  }
  const std::string format = a.format.empty() ? report::format_from_extension(a.out) : a.format;
  report::ReportOptions opts;
  opts.period_days = period_days(a.period);
  try {
    opts.timezone = report::resolve_timezone("");  // $TZ, else UTC
  } catch (const std::invalid_argument& e) {
    std::cerr << "flowrun report: " << e.what() << "\n";
    return 2;
  }
  if (a.out == "-") return report_to_stdout(url, format, dot, opts);
  const int rc = report::write_report(url, format, a.out, dot, opts);
  if (rc == 0) std::cerr << fmt::format("report written to {}\n", a.out);
  return rc;
#else
  (void)a, (void)registry;
  std::cerr << "flowrun report: this build has no report module\n";
  return 2;
#endif
}

// Columns of the terminal on stdout; $COLUMNS or 100 when it is not a terminal.
static std::size_t terminal_width() {
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    const long n = std::strtol(c, nullptr, 10);
    if (n > 0) return static_cast<std::size_t>(n);
  }
  return 100;
}

// Words of `text` in lines of at most `width` columns, continuation lines indented by `indent`.
static std::string wrap(const std::string& text, std::size_t width, std::size_t indent) {
  std::string out, line, word;
  std::istringstream in(text);
  while (in >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

static std::string default_text(const OptionSpec& o) { return o.default_value.empty() ? "" : o.default_value; }

int nodes_command(const std::string& type, bool markdown, const Registry& registry) {
  if (markdown) {
    std::cout << "# Node reference\n\n"
                 "Generated by `flowrun nodes --markdown` from the same descriptors the engine validates "
                 "with; do not edit by hand.\n\n## Options every node accepts\n\n"
                 "| option | type | default | description |\n|---|---|---|---|\n";
    for (const auto& o : common_options())
      std::cout << "| `" << o.name << "` | " << to_string(o.type) << " | " << default_text(o) << " | " << o.doc << " |\n";
    for (const auto* d : registry.all()) {
      std::cout << "\n## `" << d->type << "` (" << to_string(d->role) << ")\n\n" << d->description << "\n\n";
      std::string ports = d->sends_out ? "out, errors" : "errors";
      for (const auto& p : d->ports) ports += ", " + p;
      for (const auto& p : d->data_ports) ports += ", " + p;
      if (d->instance_ports) ports += ", and one per name its options give";
      std::cout << "Output ports: " << ports << ". Runs on " << (d->blocking_io ? "its own I/O threads" : "oneTBB workers")
                << "; default concurrency " << d->default_concurrency << ".\n\n";
      if (d->option_specs().empty()) continue;
      std::cout << "| option | type | default | required | description |\n|---|---|---|---|---|\n";
      for (const auto& o : d->option_specs()) {
        std::string doc = o.doc;
        if (!o.choices.empty()) {
          std::string c;
          for (const auto& x : o.choices) c += (c.empty() ? "" : ", ") + x;
          doc += " One of: " + c + ".";
        }
        std::cout << "| `" << o.name << "` | " << to_string(o.type) << " | " << default_text(o) << " | "
                  << (o.required ? "yes" : "") << " | " << doc << " |\n";
      }
    }
    return 0;
  }
  if (type.empty()) {
    // The listing is for reading: whole words, wrapped to the terminal, never cut.
    const std::size_t indent = 29, width = std::max<std::size_t>(terminal_width(), indent + 30);
    for (const auto* d : registry.all())
      std::cout << fmt::format("{:<18} {:<9} {}\n", d->type, to_string(d->role), wrap(d->description, width - indent, indent));
    return 0;
  }
  const NodeDescriptor* d = registry.find(type);
  if (!d) {
    std::string hint = closest_match(type, registry.types());
    std::cerr << "unknown node type '" << type << "'" << (hint.empty() ? "" : " (did you mean '" + hint + "'?)") << "\n";
    return 2;
  }
  std::cout << d->type << " (" << to_string(d->role) << ")\n  " << d->description << "\n\noptions:\n";
  for (const auto& o : d->option_specs())
    std::cout << fmt::format("  {:<18} {:<16} {:<14} {}{}\n", o.name, to_string(o.type),
                             o.required ? "(required)" : default_text(o), o.doc,
                             o.choices.empty() ? "" : " [" + fmt::format("{}", fmt::join(o.choices, "|")) + "]");
  std::cout << "\ncommon options: ";
  for (const auto& o : common_options()) std::cout << o.name << " ";
  std::cout << "\n";
  return 0;
}

}  // namespace flowrun::cli
