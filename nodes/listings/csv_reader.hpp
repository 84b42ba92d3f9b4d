// RFC 4180 CSV as exported by listing sites: quoted fields with commas, doubled quotes and line
// breaks, CRLF or LF, a UTF-8 BOM. Hand-written because error rows must name the physical line
// they start on, which no packaged CSV library here reports.
#pragma once
#include <istream>
#include <string>
#include <vector>

namespace flowrun::listings {

struct CsvRow {
  std::vector<std::string> cells;
  int line = 0;       // 1-based physical line where the row starts
  std::string error;  // non-empty when the row is malformed (e.g. an unterminated quote)
};

class CsvReader {
 public:
  explicit CsvReader(std::istream& in, char delimiter = ',') : in_(in), delim_(delimiter) {}
  // False at end of input. Blank lines come back as a row with one empty cell.
  bool next(CsvRow& row);

 private:
  int get();
  int peek();
  std::istream& in_;
  char delim_;
  int line_ = 1;
  bool started_ = false;
};

}  // namespace flowrun::listings
