#include "nodes/transform/expression.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

namespace flowrun::transform {

namespace {

// The pipeline file's lines, read once per file: options are bound one at a time.
std::vector<std::string> source_lines(const std::string& file) {
  static std::mutex mu;
  static std::string cached_file;
  static std::vector<std::string> cached;
  std::lock_guard lock(mu);
  if (file != cached_file) {
    cached_file = file;
    cached.clear();
    std::ifstream in(file, std::ios::binary);
    for (std::string line; in && std::getline(in, line);) cached.push_back(line);
  }
  return cached;
}

std::size_t leading_spaces(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (lines.empty()) lines.emplace_back();
  return lines;
}

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

Expr read_expr(const std::string& label, const YAML::Node& v, const std::string& file) {
  Expr e;
  e.label = label;
  e.text = v.IsScalar() ? v.Scalar() : "";
  const YAML::Mark m = v.Mark();
  e.at = Location{file, m.line + 1, m.column + 1};
  if (m.line < 0) return e.at = Location{file, 0, 0}, e;
  const auto lines = source_lines(file);
  const bool have_text = static_cast<std::size_t>(m.line) < lines.size() &&
                         static_cast<std::size_t>(m.column) < lines[m.line].size();
  const char first = have_text ? lines[m.line][m.column] : '\0';
  if (first == '|' || first == '>') {
    // A block scalar: its text starts on a later line, at the block's indentation.
    std::size_t l = m.line + 1;
    while (l < lines.size() && lines[l].find_first_not_of(' ') == std::string::npos) ++l;
    e.block = first == '|';
    e.at.line = m.line + 2;  // leading empty lines are part of the text
    e.at.column = l < lines.size() ? static_cast<int>(leading_spaces(lines[l])) + 1 : 0;
  } else if (first == '"' || first == '\'') {
    e.at.column += 1;
  } else if (!have_text && v.Tag() == "!") {
    // No file to look at (a pipeline given as text): a quoted or block scalar.
    if (e.text.find('\n') != std::string::npos) e.at = Location{file, m.line + 2, 0}, e.block = true;
    else e.at.column += 1;
  }
  return e;
}

Location locate(const Expr& e, int line, const std::string& near) {
  const auto lines = split_lines(e.text);
  line = std::clamp(line, 1, static_cast<int>(lines.size()));
  std::size_t offset = 0;
  if (near == "<eof>") {
    line = static_cast<int>(lines.size());
    offset = lines.back().size();
  } else if (!near.empty()) {
    auto pos = lines[line - 1].find(near);
    if (pos == std::string::npos) {  // the token our wrapper added, or one on another line
      for (std::size_t k = 0; k < lines.size() && pos == std::string::npos; ++k)
        if ((pos = lines[k].find(near)) != std::string::npos) line = static_cast<int>(k) + 1;
      if (pos == std::string::npos) line = static_cast<int>(lines.size()), pos = lines.back().size();
    }
    offset = pos;
  }
  Location at = e.at;
  if (at.line == 0) return at;
  if (line == 1) {
    if (at.column > 0) at.column += static_cast<int>(offset);
    return at;
  }
  at.line += line - 1;
  at.column = e.block && at.column > 0 ? at.column + static_cast<int>(offset) : 0;
  return at;
}

std::string syntax_hint(const std::string& near, const std::string& text) {
  if (near == "!") return text.find("!=") != std::string::npos ? " (Lua writes 'not equal' as ~=)" : " (Lua writes 'not' as not)";
  if (near == "&") return " (Lua writes 'and' as and)";
  if (near == "|") return " (Lua writes 'or' as or)";
  if (near == "=") return " (compare with ==; a map node sets fields with set:)";
  return "";
}

std::vector<std::string> names_in(const std::string& text) {
  static const std::set<std::string> keywords{"and",   "break", "do",     "else", "elseif", "end",   "false",
                                              "for",   "function", "goto", "if",  "in",     "local", "nil",
                                              "not",   "or",    "repeat", "return", "then", "true",  "until",
                                              "while", "record"};
  std::vector<std::string> names;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '"' || c == '\'') {  // skip a string literal
      for (++i; i < text.size() && text[i] != c; ++i)
        if (text[i] == '\\') ++i;
      ++i;
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {  // a comment
      i = text.find('\n', i);
      if (i == std::string::npos) break;
    } else if (is_ident_start(c)) {
      std::size_t j = i;
      while (j < text.size() && is_ident_char(text[j])) ++j;
      std::size_t before = i;
      while (before > 0 && text[before - 1] == ' ') --before;
      const bool member = before > 0 && (text[before - 1] == '.' || text[before - 1] == ':');
      std::string name = text.substr(i, j - i);
      if (!member && !keywords.count(name) && std::find(names.begin(), names.end(), name) == names.end())
        names.push_back(std::move(name));
      i = j;
    } else {
      ++i;
    }
  }
  return names;
}

}  // namespace flowrun::transform
