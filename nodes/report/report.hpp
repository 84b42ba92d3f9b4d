// The daily report, made from the store (not from one run's memory), so `flowrun report` can
// be run any time later, on any machine that reaches the store.
#pragma once
#include <boost/json.hpp>

#include <string>

namespace flowrun::store {
class Store;
}

namespace flowrun::report {

// Writes the report of the latest run in the store. format: json | csv | html. dot_text: the
// pipeline graph as DOT (embedded in HTML as SVG when Graphviz `dot` is installed, else as
// text); may be empty. Returns 0 on success, 1 when the store or the file cannot be used (the
// reason is logged), 2 for an unknown format.
int write_report(const std::string& store_url, const std::string& format,
                 const std::string& out_path, const std::string& dot_text);

// The format a file name asks for: .json -> json, .csv -> csv, anything else -> html.
std::string format_from_extension(const std::string& path);

// The pieces, for tests and the report node.
boost::json::object collect_report(store::Store& store, const std::string& run_id = "");
std::string render_json(const boost::json::object& report);
std::string render_csv(const boost::json::object& report);
std::string render_html(const boost::json::object& report, const std::string& dot_text);

// Median of the values (mean of the middle two for an even count); requires a non-empty input.
double median(std::vector<double> v);
// `dot -Tsvg` of the text, or "" when Graphviz is absent or fails.
std::string dot_to_svg(const std::string& dot_text);

}  // namespace flowrun::report
