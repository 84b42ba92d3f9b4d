// The `report` sink: when every record upstream has been written, writes the store's report.
#include "engine/context.hpp"
#include "engine/registry.hpp"
#include "nodes/report/register.hpp"
#include "nodes/report/report.hpp"

namespace flowrun {

namespace {

std::string format_for(const NodeConfig& cfg, const std::string& path) {
  std::string f = cfg.get_string("format");
  return f.empty() ? report::format_from_extension(path) : f;
}

class ReportSink final : public ProcessNode {
 public:
  explicit ReportSink(const NodeConfig& cfg)
      : path_(cfg.get_path("path")), format_(format_for(cfg, path_)), url_opt_(cfg.get_string("url")), id_(cfg.id()) {}

  void open(RunContext& ctx) override {
    url_ = url_opt_.empty() ? ctx.setting("store") : url_opt_;
    if (url_.empty())
      throw std::runtime_error("node '" + id_ + "': no store URL: set `url:` or the pipeline's `store:`");
  }
  // Records are only the signal that upstream work is done; the report reads the store.
  void process(Record, RunContext&, Emitter&) override {}

  void close(RunContext& ctx, Emitter&) override {
    // The engine can put the pipeline's DOT into the settings; without it the graph is omitted.
    if (write_report_fn(url_, format_, path_, ctx.setting("pipeline.dot")) != 0)
      throw std::runtime_error("node '" + id_ + "': could not write the report to " + path_);
  }

 private:
  static int write_report_fn(const std::string& u, const std::string& f, const std::string& p,
                             const std::string& d) {
    return report::write_report(u, f, p, d);
  }
  std::string path_, format_, url_opt_, id_, url_;
};

}  // namespace

void register_report_nodes(Registry& registry) {
  NodeDescriptor d;
  d.type = "report";
  d.role = Role::sink;
  d.description =
      "Writes the run report from the store (totals by source and ZIP, price and assessed-value "
      "statistics, dead letters, LLM use, last 7 runs) when its inputs have finished. The "
      "complete report, with this run's node statistics, is `flowrun report` after the run.";
  d.options = {
      {"path", OptionType::path, "", "Output file (relative paths: from the working directory).", true, {}},
      {"format", OptionType::string, "", "json, csv or html (default: from the file extension, else html).",
       false, {"json", "csv", "html"}},
      {"url", OptionType::string, "", "Store URL (default: the pipeline's `store:`).", false, {}},
  };
  d.blocking_io = true;
  d.factory = [](const NodeConfig& c) { return std::make_unique<ReportSink>(c); };
  registry.add(std::move(d));
}

}  // namespace flowrun
