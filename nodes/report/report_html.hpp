// Small HTML building blocks shared by the report's HTML sections and charts.
#pragma once
#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace flowrun::report {

std::string esc(const std::string& s);  // &, <, >, " escaped

// A table cell: the text people read, the label shown beside it on a phone, and the value the
// sort script compares (a number, or the text when empty).
struct Cell {
  std::string html, sort;
  bool numeric = false;
};
Cell text_cell(const std::string& text);
Cell num_cell(std::optional<double> v, const std::string& shown);

struct Column {
  std::string key, label;
};
// A table; `cards` makes it one card per row on narrow screens, `sortable` adds the sort script's
// hooks (click a header, or pick from the select above it).
std::string html_table(const std::string& id, const std::vector<Column>& cols,
                       const std::vector<std::vector<Cell>>& rows, bool cards, bool sortable);

// Values from the collected report.
const boost::json::value& at(const boost::json::value& o, const char* k);
std::optional<double> opt_num(const boost::json::value& v);
std::string str(const boost::json::value& v);

// Sections (report_html_quality.cpp).
std::string quality_html(const boost::json::object& rep);
std::string runs_html(const boost::json::object& rep);
std::string graph_html(const boost::json::object& rep, const std::string& dot_text);

}  // namespace flowrun::report
