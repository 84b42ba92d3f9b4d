// RFC 4180 CSV reading: quoted fields with commas, doubled quotes and line breaks, CRLF, BOM.
#pragma once
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace flowrun::csv {

class Reader {
 public:
  explicit Reader(std::istream& in) : in_(in) {}
  // The next row, or nullopt at end of input. Throws std::runtime_error on an unterminated
  // quote (naming the line where the row started).
  std::optional<std::vector<std::string>> next();
  // 1-based line where the row returned last started.
  long line() const { return row_line_; }

 private:
  std::istream& in_;
  long line_ = 1, row_line_ = 0;
  bool first_ = true;
};

// Quotes a field when it needs it.
std::string quote(const std::string& field);

}  // namespace flowrun::csv
