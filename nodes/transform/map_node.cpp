// `map`: changes records. In this order: `script` (Lua statements over `record`), `set` (fields
// from Lua expressions, one after the other, each seeing the ones before), `rename`, `delete`.
#include "engine/node_type.hpp"
#include "engine/yaml_util.hpp"
#include "nodes/transform/field_path.hpp"
#include "nodes/transform/transform_options.hpp"

namespace flowrun::transform {

namespace {

struct Rename {
  std::string from, to;
  Location at;
};

struct MapOptions {
  std::vector<NamedExpr> set;
  std::vector<Rename> rename;
  std::vector<std::string> remove;
  std::optional<Expr> script;
  Limits limits;
};

std::shared_ptr<const std::vector<Chunk>> chunks_of(const MapOptions& o) {
  std::vector<Chunk> c;
  if (o.script) c.push_back({*o.script, ChunkKind::script});
  for (const auto& s : o.set) c.push_back({s.expr, ChunkKind::value});
  return std::make_shared<const std::vector<Chunk>>(std::move(c));
}

bool read_renames(MapOptions& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  if (!v.IsMap()) {
    c.diags.error(location_of(c.file, v), "node '" + c.node.id + "': option 'rename' must be a map of old: new field names, got " +
                                              kind_name(v));
    return false;
  }
  for (const auto& kv : v) {
    if (!kv.second.IsScalar()) {
      c.diags.error(location_of(c.file, kv.second), "node '" + c.node.id + "': rename '" + kv.first.Scalar() +
                                                        "' must name the new field, got " + kind_name(kv.second));
      return false;
    }
    o.rename.push_back({kv.first.Scalar(), kv.second.Scalar(), location_of(c.file, kv.first)});
  }
  (void)s;
  return true;
}

void check_map(const MapOptions& o, Check& c) {
  if (o.set.empty() && o.rename.empty() && o.remove.empty() && !o.script)
    c.error("set", "a map node needs at least one of set:, rename:, delete: or script:");
  auto path_ok = [&](const std::string& p, const Location& at, const char* what) {
    if (auto why = path_problem(p); !why.empty()) c.error_at(at, "node '" + c.node().id + "': " + what + ": " + why);
  };
  for (const auto& s : o.set) path_ok(s.name, s.name_at, "set");
  for (const auto& r : o.rename) path_ok(r.from, r.at, "rename"), path_ok(r.to, r.at, "rename");
  for (const auto& d : o.remove)
    if (auto why = path_problem(d); !why.empty()) c.error("delete", why);
  check_compiles(*chunks_of(o), o.limits, c);
}

// What leaves, when what arrives is known: a script may set anything, so then nothing is known.
std::optional<FieldSet> fields_after(const MapOptions& o, std::optional<FieldSet> in) {
  if (!in || o.script) return std::nullopt;
  for (const auto& s : o.set) in->add(s.name);
  for (const auto& r : o.rename) in->rename(r.from, r.to);
  for (const auto& d : o.remove) in->remove(d);
  return in;
}

class MapNode : public ProcessNode {
 public:
  explicit MapNode(const MapOptions& o) : programs_(chunks_of(o), o.limits), has_script_(o.script.has_value()) {
    for (const auto& s : o.set) set_.push_back(parse_path(s.name));
    for (const auto& r : o.rename) rename_.emplace_back(parse_path(r.from), parse_path(r.to));
    for (const auto& d : o.remove) remove_.push_back(parse_path(d));
  }

  void process(Record in, RunContext&, Emitter& out) override {
    if (has_script_ || !set_.empty()) {
      auto program = programs_.acquire();
      std::size_t chunk = 0;
      if (has_script_) program->script(chunk++, in.data);
      for (const auto& path : set_) set_path(in.data, path, program->value(chunk++, in.data));
    }
    for (const auto& [from, to] : rename_)
      if (auto v = take_path(in.data, from)) set_path(in.data, to, std::move(*v));
    for (const auto& path : remove_) take_path(in.data, path);
    out.emit(std::move(in));
  }

 private:
  ProgramPool programs_;
  bool has_script_;
  std::vector<FieldPath> set_;
  std::vector<std::pair<FieldPath, FieldPath>> rename_;
  std::vector<FieldPath> remove_;
};

}  // namespace

NodeDescriptor map_descriptor() {
  NodeType<MapOptions> t("map", Role::transform,
                         "Changes each record: runs `script`, then sets fields from Lua expressions (`set`), renames "
                         "(`rename`) and deletes (`delete`) fields, in that order. Dotted names (`address.county`) reach "
                         "into objects. A record an expression fails on goes to `errors` unchanged.");
  t.custom_option(
      "set", OptionType::object,
      "Map of field to Lua expression, applied in file order (each sees the fields set before it), e.g. "
      "`{price_to_assessed: \"price / assessed_value\", county: \"'Maricopa'\"}`. nil sets null; a string needs Lua quotes.",
      [](MapOptions& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) { return read_named_expressions(o.set, v, s, c); },
      [](const MapOptions& o) { return show_names(o.set); });
  t.custom_option("rename", OptionType::object, "Map of old field name to new one, e.g. `{full_cash_value: fcv}`; a missing field is skipped.",
                  read_renames, [](const MapOptions& o) {
                    std::string s;
                    for (const auto& r : o.rename) s += (s.empty() ? "" : ", ") + r.from + ": " + r.to;
                    return s.empty() ? s : "{" + s + "}";
                  });
  t.option("delete", &MapOptions::remove, "Fields to remove, e.g. `[provenance, attributes.mcr]`.");
  t.custom_option(
      "script", OptionType::string,
      "Lua statements for anything larger, run first; `record` is the record as a Lua table, e.g. "
      "`record.beds_total = (record.beds or 0) + 1`. Fields it sets to nil become null; none is removed.",
      [](MapOptions& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
        Expr e;
        if (!read_expression(e, "script", v, s, c)) return false;
        o.script = std::move(e);
        return true;
      },
      [](const MapOptions& o) { return o.script ? o.script->text : std::string(); });
  t.include(&MapOptions::limits, limit_options());
  t.validate(check_map);
  t.fields(fields_after);
  t.create([](const MapOptions& o, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<MapNode>(o); });
  return t.descriptor();
}

}  // namespace flowrun::transform
