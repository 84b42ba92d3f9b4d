// The `report` sink: after the run has been recorded in the ledger, writes the store's report, so
// the report shows this run finished (status, nodes, dead letters, waits). A report that cannot be
// written fails the run; the previous report stays as it was.
#include "engine/context.hpp"
#include "engine/metrics.hpp"
#include "engine/node_type.hpp"
#include "nodes/report/register.hpp"
#include "nodes/report/report.hpp"
#include "nodes/report/report_format.hpp"

namespace flowrun {

namespace {

struct ReportSinkOptions {
  std::string path;
  std::string format;  // "" = from the file extension
  std::string url;     // "" = the pipeline's `store:`
  int period_days = 1;
  std::string timezone;  // "" = $TZ, else UTC
};

class ReportSink final : public ProcessNode {
 public:
  ReportSink(const ReportSinkOptions& o, const NodeInfo& n)
      : path_(o.path),
        format_(o.format.empty() ? report::format_from_extension(o.path) : o.format),
        url_opt_(o.url),
        id_(n.id) {
    opts_.period_days = o.period_days;
    opts_.timezone = report::resolve_timezone(o.timezone);
  }

  void open(RunContext& ctx) override { store_url(ctx); }
  // Records are only the signal that upstream work is done; the report reads the store.
  void process(Record, RunContext&, Emitter&) override {}

  void after_run(RunContext& ctx, const RunSummary&) override {
    auto opts = opts_;
    opts.run_id = ctx.run_id();
    // The CLI puts the pipeline's DOT into the settings; without it the graph is omitted.
    report::write_report_file(store_url(ctx), format_, path_, ctx.setting("pipeline.dot"), opts);
  }

 private:
  // after_run may come without open() (another node could not start): both ask here.
  std::string store_url(RunContext& ctx) const {
    std::string url = url_opt_.empty() ? ctx.setting("store") : url_opt_;
    if (url.empty()) throw std::runtime_error("node '" + id_ + "': no store URL: set `url:` or the pipeline's `store:`");
    return url;
  }

  std::string path_, format_, url_opt_, id_;
  report::ReportOptions opts_;
};

}  // namespace

void register_report_nodes(Registry& registry) {
  NodeType<ReportSinkOptions> t(
      "report", Role::sink,
      "Writes the run's report from the store once the run has been recorded: headline, new listings "
      "and price changes, market by ZIP with charts, data quality, last runs, the graph (docs/report.md). "
      "A report that cannot be written fails the run; the previous file is kept.");
  t.option("path", &ReportSinkOptions::path, "Output file (a relative path resolves from the pipeline's folder).")
      .required()
      .output_path();
  t.option("format", &ReportSinkOptions::format, "json, csv or html (default: from the file extension, else html).")
      .choices({"json", "csv", "html"});
  t.option("url", &ReportSinkOptions::url, "Store URL (default: the pipeline's `store:`).");
  t.option("period_days", &ReportSinkOptions::period_days, "1: the run itself; 7: the week ending with the run's day.")
      .range(1, 366);
  t.option("timezone", &ReportSinkOptions::timezone,
           "IANA time zone the dates are written in, e.g. America/Phoenix (default: $TZ, else UTC).");
  t.validate([](const ReportSinkOptions& o, Check& check) { report::check_timezone(o.timezone, check); });
  t.blocking_io();
  t.create([](const ReportSinkOptions& o, const NodeInfo& n) { return std::make_unique<ReportSink>(o, n); });
  registry.add(t.descriptor());
}

}  // namespace flowrun
