#include "nodes/file/csv.hpp"

#include <stdexcept>

namespace flowrun::csv {

std::optional<std::vector<std::string>> Reader::next() {
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false, any = false, was_quoted = false;
  row_line_ = line_;
  int c;
  while ((c = in_.get()) != EOF) {
    if (first_) {
      first_ = false;
      if (c == 0xEF && in_.peek() == 0xBB) {  // UTF-8 byte order mark
        in_.get();
        if (in_.peek() == 0xBF) in_.get();
        continue;
      }
    }
    any = true;
    if (in_quotes) {
      if (c == '"') {
        if (in_.peek() == '"') field += static_cast<char>(in_.get());
        else in_quotes = false;
      } else {
        if (c == '\n') ++line_;
        field += static_cast<char>(c);
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      in_quotes = was_quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\r') {
      if (in_.peek() == '\n') continue;
      ++line_;
      row.push_back(std::move(field));
      return row;
    } else if (c == '\n') {
      ++line_;
      row.push_back(std::move(field));
      return row;
    } else {
      field += static_cast<char>(c);
    }
  }
  if (in_quotes) throw std::runtime_error("unterminated quoted field starting on line " + std::to_string(row_line_));
  if (!any) return std::nullopt;
  row.push_back(std::move(field));
  return row;
}

std::string quote(const std::string& f) {
  if (f.find_first_of(",\"\r\n") == std::string::npos) return f;
  std::string o = "\"";
  for (char c : f) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

}  // namespace flowrun::csv
