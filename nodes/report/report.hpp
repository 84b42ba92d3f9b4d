// The daily (or weekly) report, made from the store (not from one run's memory), so `flowrun
// report` can be run any time later, on any machine that reaches the store. The sections and
// every figure are described in docs/report.md; the JSON and CSV shapes in docs/store.md.
#pragma once
#include <boost/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace flowrun::store {
class Store;
}

namespace flowrun::report {

struct ReportOptions {
  int period_days = 1;         // 1: the run itself; N: the N local days ending with the run's day
  std::string run_id;          // "" = the latest run in the store
  std::string timezone = "UTC";  // IANA name the dates are written in (resolve_timezone)
};

// Collects, renders and writes the report; the file is written beside `out_path` and renamed
// into place, so a failure leaves the previous report as it was and no temporary file behind.
// format: json | csv | html. dot_text: the pipeline graph as DOT (shown as SVG when Graphviz is
// installed), may be empty. Throws std::runtime_error naming the cause.
void write_report_file(const std::string& store_url, const std::string& format, const std::string& out_path,
                       const std::string& dot_text, const ReportOptions& opts = {});
// The same for the CLI: 0 written, 1 store or file failed (logged), 2 unknown format.
int write_report(const std::string& store_url, const std::string& format, const std::string& out_path,
                 const std::string& dot_text, const ReportOptions& opts = {});

// The format a file name asks for: .json -> json, .csv -> csv, anything else -> html.
std::string format_from_extension(const std::string& path);

// The pieces, for tests, the report node and notifications.
boost::json::object collect_report(store::Store& store, const ReportOptions& opts = {});
std::string render_json(const boost::json::object& report);
std::string render_csv(const boost::json::object& report);
std::string render_html(const boost::json::object& report, const std::string& dot_text);
// Writes `text` to `path` through `path.tmp-<pid>` in the same folder (flushed, fsynced), then
// renames it into place. Throws std::runtime_error; the temporary file never outlives a failure.
void write_file_atomically(const std::string& path, const std::string& text);

// Median of the values (mean of the middle two for an even count); requires a non-empty input.
double median(std::vector<double> v);
// `dot -Tsvg` of the text, or "" when Graphviz is absent or fails.
std::string dot_to_svg(const std::string& dot_text);

}  // namespace flowrun::report
