// The `report` sink: after the run has been recorded in the ledger, writes the store's report, so
// the report shows this run finished (status, nodes, dead letters, waits). A report that cannot be
// written fails the run; the previous report stays as it was.
#include "engine/context.hpp"
#include "engine/metrics.hpp"
#include "engine/registry.hpp"
#include "nodes/report/register.hpp"
#include "nodes/report/report.hpp"
#include "nodes/report/report_format.hpp"

namespace flowrun {

namespace {

class ReportSink final : public ProcessNode {
 public:
  explicit ReportSink(const NodeConfig& cfg)
      : path_(cfg.get_path("path")),
        format_(cfg.get_string("format").empty() ? report::format_from_extension(path_) : cfg.get_string("format")),
        url_opt_(cfg.get_string("url")),
        id_(cfg.id()) {
    opts_.period_days = static_cast<int>(cfg.get_int("period_days", 1));
    opts_.timezone = report::resolve_timezone(cfg.get_string("timezone"));
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
  NodeDescriptor d;
  d.type = "report";
  d.role = Role::sink;
  d.description =
      "Writes the run's report from the store once the run has been recorded: headline, new listings "
      "and price changes, market by ZIP with charts, data quality, last runs, the graph (docs/report.md). "
      "A report that cannot be written fails the run; the previous file is kept.";
  d.options = {
      {"path", OptionType::path, "", "Output file (a relative path resolves like every `path` option: docs/pipeline.md).", true, {}},
      {"format", OptionType::string, "", "json, csv or html (default: from the file extension, else html).",
       false, {"json", "csv", "html"}},
      {"url", OptionType::string, "", "Store URL (default: the pipeline's `store:`).", false, {}},
      {"period_days", OptionType::integer, "1", "1: the run itself; 7: the week ending with the run's day.", false, {}},
      {"timezone", OptionType::string, "",
       "IANA time zone the dates are written in, e.g. America/Phoenix (default: $TZ, else UTC).", false, {}},
  };
  d.blocking_io = true;
  d.factory = [](const NodeConfig& c) { return std::make_unique<ReportSink>(c); };
  registry.add(std::move(d));
}

}  // namespace flowrun
