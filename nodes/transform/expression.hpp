// An expression or script as written in the pipeline file, and where each of its characters
// is: a syntax error found by Lua (a line and a token) becomes the file's line and column.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "engine/diagnostics.hpp"

namespace flowrun::transform {

struct Expr {
  std::string label;  // what the message calls it: "when", "routes.commercial", "set.ratio", "script"
  std::string text;
  Location at;        // the text's first character in the pipeline file
  // Whether line k of the text is line at.line + k - 1 of the file at the same indentation
  // (a `|` block); otherwise only the first line's columns are known.
  bool block = false;
};

// The YAML scalar `v` as an expression labelled `label`; `file` is the pipeline file, read (when it
// exists) to learn where the text starts: after a quote, or on the line below a `|` or `>`.
Expr read_expr(const std::string& label, const YAML::Node& v, const std::string& file);

// Where, in the file, the token `near` on `line` (1-based, of the text) is: Lua reports a line and
// the token it stopped at, not a column. "<eof>" is the end of the text.
Location locate(const Expr& e, int line, const std::string& near);

// A hint for the mistakes people who write other languages make ("!=" for Lua's "~="), or "".
std::string syntax_hint(const std::string& near, const std::string& text);

// The bare names an expression reads (candidates for record fields), for error messages.
std::vector<std::string> names_in(const std::string& text);

}  // namespace flowrun::transform
