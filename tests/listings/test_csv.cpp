// The CSV reader the listing exports go through (nodes/file/csv.hpp, shared with the file
// source), on the quirks of real "download all" exports.
#include <catch2/catch.hpp>

#include <sstream>

#include "nodes/file/csv.hpp"

using flowrun::csv::Reader;

namespace {
struct Row {
  std::vector<std::string> cells;
  long line = 0;
  std::string error;
};
std::vector<Row> read_all(const std::string& text) {
  std::istringstream in(text);
  Reader r(in);
  std::vector<Row> rows;
  try {
    while (auto cells = r.next()) rows.push_back({*cells, r.line(), ""});
  } catch (const std::runtime_error& e) {
    rows.push_back({{}, r.line(), e.what()});
  }
  return rows;
}
}  // namespace

TEST_CASE("CSV quirks: BOM, CRLF, quotes, doubled quotes, embedded newlines", "[csv]") {
  auto rows = read_all("\xEF\xBB\xBF" "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",,z\r\nlast,row,no-newline");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].cells == std::vector<std::string>{"a", "b", "c"});
  CHECK(rows[0].line == 1);
  CHECK(rows[1].cells == std::vector<std::string>{"1", "x, y", "say \"hi\""});
  CHECK(rows[1].line == 2);
  CHECK(rows[2].cells == std::vector<std::string>{"multi\nline", "", "z"});
  CHECK(rows[2].line == 3);
  CHECK(rows[3].line == 5);  // the quoted newline moved it down one physical line
  CHECK(rows[3].cells[2] == "no-newline");
}

TEST_CASE("CSV: LF only, blank lines, trailing comma, unterminated quote", "[csv]") {
  auto rows = read_all("a,b\n\n1,\n\"open,2\n3,4\n");
  REQUIRE(rows.size() == 4);
  CHECK(rows[1].cells == std::vector<std::string>{""});  // blank line
  CHECK(rows[2].cells == std::vector<std::string>{"1", ""});
  CHECK(rows[3].line == 4);
  CHECK_THAT(rows[3].error, Catch::Contains("unterminated quoted field starting on line 4"));
}

TEST_CASE("CSV: a file without BOM that starts with 0xEF is not eaten", "[csv]") {
  auto rows = read_all("\xEFx,y\n");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].cells[0] == "\xEFx");
}
