#include "nodes/transform/transform_options.hpp"

#include "engine/yaml_util.hpp"

namespace flowrun::transform {

const OptionTable<Limits>& limit_options() {
  static const OptionTable<Limits> table = [] {
    OptionTable<Limits> t;
    t.add("time_limit", &Limits::time,
          "Longest one record may take in the node's expressions; past it the record goes to `errors`.")
        .range(0.001, 60);
    t.add("memory_limit_mb", &Limits::memory_mb,
          "Memory the node's Lua state may hold (one state per concurrent worker), in MB; a record that needs "
          "more goes to `errors`.")
        .range(1, 4096);
    return t;
  }();
  return table;
}

bool read_expression(Expr& out, const std::string& label, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  if (!v.IsScalar()) {
    c.diags.error(location_of(c.file, v), "node '" + c.node.id + "': option '" + s.name +
                                              "' must be a Lua expression (a string), got " + kind_name(v));
    return false;
  }
  out = read_expr(label, v, c.file);
  return true;
}

bool read_named_expressions(std::vector<NamedExpr>& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  if (!v.IsMap()) {
    c.diags.error(location_of(c.file, v), "node '" + c.node.id + "': option '" + s.name +
                                              "' must be a map of name: expression, got " + kind_name(v));
    return false;
  }
  bool ok = true;
  for (const auto& kv : v) {
    const std::string name = kv.first.Scalar();
    for (const auto& seen : out)
      if (seen.name == name) {
        c.diags.error(location_of(c.file, kv.first), "node '" + c.node.id + "': " + s.name + " names '" + name + "' twice");
        ok = false;
      }
    NamedExpr item{name, location_of(c.file, kv.first), {}};
    if (!read_expression(item.expr, s.name + "." + name, kv.second, s, c)) ok = false;
    out.push_back(std::move(item));
  }
  return ok;
}

std::string show_names(const std::vector<NamedExpr>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i.name + ": " + i.expr.text;
  return s.empty() ? "" : "{" + s + "}";
}

void check_compiles(const std::vector<Chunk>& chunks, const Limits& limits, Check& check) {
  for (const auto& p : compile_problems(chunks, limits))
    // A chunk without a label was never read: binding its option already reported why.
    if (!chunks[p.index].expr.label.empty()) check.error_at(p.where, "node '" + check.node().id + "': " + p.message);
}

}  // namespace flowrun::transform
