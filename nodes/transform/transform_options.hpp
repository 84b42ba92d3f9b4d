// What the three transform types share: the sandbox limits, reading expressions (with where they
// are in the file) and reporting the ones that do not compile.
#pragma once
#include <string>
#include <vector>

#include "engine/option_table.hpp"
#include "nodes/transform/program.hpp"

namespace flowrun::transform {

// `time_limit` and `memory_limit_mb`, included by every transform type.
const OptionTable<Limits>& limit_options();

// Reads a scalar option as an expression labelled `label`; false (reported) when it is not a scalar.
bool read_expression(Expr& out, const std::string& label, const YAML::Node& v, const OptionSpec& s, BindContext& c);

// Reads a map option (`routes:`, `set:`) in file order: key, where the key is, and the value as an
// expression labelled "<option>.<key>". Duplicate keys are reported.
struct NamedExpr {
  std::string name;
  Location name_at;
  Expr expr;
};
bool read_named_expressions(std::vector<NamedExpr>& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
std::string show_names(const std::vector<NamedExpr>& items);

// Compiles the chunks and reports each one that does not compile at its line and column.
void check_compiles(const std::vector<Chunk>& chunks, const Limits& limits, Check& check);

}  // namespace flowrun::transform
