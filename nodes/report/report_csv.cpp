// The report as one long CSV table: section,key,field,value. A spreadsheet pivots it, a notebook
// reads it with one call; the columns never change when the report gains a figure.
#include <sstream>

#include "engine/json_text.hpp"
#include "nodes/report/report.hpp"

namespace flowrun::report {

namespace json = boost::json;

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string scalar(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  if (v.is_number()) return format_number(v.to_number<double>());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_array()) {  // a list of scalars (key features, examples) in one cell
    std::string out;
    for (const auto& e : v.get_array()) {
      if (!out.empty()) out += "; ";
      out += e.is_object() ? to_json_text(e) : scalar(e);
    }
    return out;
  }
  return to_json_text(v);
}

// The key of a row in an array section: its id-like fields.
std::string row_key(const json::object& o, std::size_t index) {
  for (const char* k : {"id", "zip", "date", "run_id", "name", "source"})
    if (auto* v = o.if_contains(k); v && v->is_string()) return std::string(v->get_string());
  for (auto [a, b] : {std::pair{"node", "reason"}, std::pair{"field", "rule"}})
    if (o.contains(a) && o.contains(b)) return scalar(o.at(a)) + " / " + scalar(o.at(b));
  return std::to_string(index);
}

void row(std::ostringstream& out, const std::string& section, const std::string& key, const std::string& field,
         const json::value& v) {
  out << csv_field(section) << ',' << csv_field(key) << ',' << csv_field(field) << ',' << csv_field(scalar(v)) << '\n';
}

// Objects and lists of objects become rows of their own; lists of plain values stay one cell.
bool nested(const json::value& v) {
  if (v.is_object()) return true;
  if (!v.is_array()) return false;
  for (const auto& e : v.get_array())
    if (e.is_object() || e.is_array()) return true;
  return false;
}

void flatten(std::ostringstream& out, const std::string& section, const std::string& key, const json::value& v) {
  if (v.is_object()) {
    for (const auto& [k, sub] : v.get_object()) {
      if (nested(sub)) flatten(out, section + "." + std::string(k), key, sub);
      else row(out, section, key, std::string(k), sub);
    }
  } else if (v.is_array()) {
    std::size_t i = 0;
    for (const auto& e : v.get_array()) {
      if (e.is_object()) {
        const std::string k = row_key(e.get_object(), i);
        flatten(out, section, key.empty() ? k : key + " / " + k, e);
      } else {
        row(out, section, key, std::to_string(i), e);
      }
      ++i;
    }
  } else {
    row(out, section, key, "value", v);
  }
}

}  // namespace

std::string render_csv(const json::object& report) {
  std::ostringstream out;
  out << "section,key,field,value\n";
  for (const auto& [section, v] : report) {
    if (v.is_object() || v.is_array()) flatten(out, std::string(section), "", v);
    else row(out, "report", "", std::string(section), v);
  }
  return out.str();
}

}  // namespace flowrun::report
