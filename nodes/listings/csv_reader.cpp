#include "nodes/listings/csv_reader.hpp"

namespace flowrun::listings {

int CsvReader::get() { return in_.get(); }
int CsvReader::peek() { return in_.peek(); }

bool CsvReader::next(CsvRow& row) {
  row = CsvRow{};
  if (!started_) {
    started_ = true;
    // Excel and browser downloads start with a UTF-8 byte order mark.
    if (peek() == 0xEF) {
      char bom[3];
      in_.read(bom, 3);
      if (in_.gcount() != 3 || bom[1] != '\xBB' || bom[2] != '\xBF') {
        in_.clear();
        for (int i = static_cast<int>(in_.gcount()) - 1; i >= 0; --i) in_.putback(bom[i]);
      }
    }
  }
  if (peek() == std::char_traits<char>::eof()) return false;
  row.line = line_;
  std::string cell;
  bool quoted = false, was_quoted = false;
  int quote_line = 0;
  for (;;) {
    int c = get();
    if (c == std::char_traits<char>::eof()) {
      if (quoted) row.error = "unterminated quoted field starting on line " + std::to_string(quote_line);
      row.cells.push_back(std::move(cell));
      return true;
    }
    if (quoted) {
      if (c == '"') {
        if (peek() == '"') {
          get();
          cell += '"';
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        cell += static_cast<char>(c);
      }
      continue;
    }
    if (c == '"' && !was_quoted && cell.empty()) {
      quoted = was_quoted = true;
      quote_line = line_;
    } else if (c == delim_) {
      row.cells.push_back(std::move(cell));
      cell.clear();
      was_quoted = false;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && peek() == '\n') get();
      ++line_;
      row.cells.push_back(std::move(cell));
      return true;
    } else {
      // Text after a closing quote (`"a"b`) or a stray quote mid-field is kept literally.
      cell += static_cast<char>(c);
    }
  }
}

}  // namespace flowrun::listings
