// The `normalizer` node: picks the mapping for each raw record and emits the canonical record.
// Mapping choice (docs/normalizing.md): `mapping:` = one mapping for every record; `mappings:` =
// a map of source node id -> mapping, or a list of mappings chosen per record by the record's
// `_kind` field or by each mapping's `detect:` keys (for mixed files).
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "engine/context.hpp"
#include "engine/node.hpp"
#include "engine/node_type.hpp"
#include "nodes/normalizer/canonical.hpp"
#include "nodes/normalizer/mapping.hpp"
#include "nodes/normalizer/register.hpp"

namespace flowrun {
namespace {

using normalizer::Mapping;

// `mapping:` and `mappings:` hold found file paths: the loader looks names up in
// <pipeline dir>/mappings/ and then the shipped mappings (engine/data_files.hpp).
struct NormalizerOptions {
  std::string mapping;
  std::map<std::string, std::string> by_source;  // `mappings:` as a map: source node id -> file
  std::vector<std::string> listed;               // `mappings:` as a list (or one name)
  bool keep_raw = false;
};

// `mappings:` is a map or a list of mapping names: each is found like `mapping:`'s value.
bool read_mappings(NormalizerOptions& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  OptionSpec file = s;
  file.type = OptionType::data_file;
  file.data_kind = "mappings";
  file.data_ext = ".yaml";
  if (v.IsMap()) return option_detail::read(o.by_source, v, file, c);
  return option_detail::read(o.listed, v, file, c);
}

std::string show_mappings(const NormalizerOptions& o) {
  return o.by_source.empty() ? option_detail::show(o.listed) : option_detail::show(o.by_source);
}

class NormalizerNode : public ProcessNode {
 public:
  NormalizerNode(const NormalizerOptions& o, const NodeInfo& n) : id_(n.id), keep_raw_(o.keep_raw) {
    auto load = [&](const std::string& file) {
      mappings_.push_back(std::make_shared<Mapping>(normalizer::load_mapping_file(file)));
      return mappings_.back();
    };
    if (!o.mapping.empty()) {
      single_ = load(o.mapping);
      return;
    }
    for (const auto& [source, file] : o.by_source) by_source_[source] = load(file);
    for (const auto& file : o.listed) load(file);
    for (const auto& mp : mappings_) by_kind_[mp->kind] = mp;
  }

  void process(Record in, RunContext& ctx, Emitter& out) override { process_in_place(in, ctx, out); }
  // `in` changes only after the last step that can throw, so the engine hands it over uncopied.
  void process_in_place(Record& in, RunContext&, Emitter& out) override {
    const Mapping& m = pick(in);
    normalizer::SourceInfo src{in.env.source, in.env.source_id, ""};
    if (auto it = in.data.find("collected_at"); it != in.data.end() && it->value().is_string())
      src.collected_at = std::string(it->value().get_string());
    json::object canon = normalizer::to_canonical(in.data, m, src);
    // What the source could not fetch (a detail endpoint that failed after its retries) must
    // reach the store with the record, or a parcel stored without its values says nothing of why.
    if (auto w = in.meta.find("warnings"); w != in.meta.end() && w->value().is_array() && !w->value().get_array().empty()) {
      json::value& all = canon["source_warnings"];  // may already hold the address parser's
      if (!all.is_array()) all = json::array();
      for (const auto& x : w->value().get_array()) all.as_array().push_back(x);
    }
    count_unknown_type(canon, m);
    if (keep_raw_) canon["raw"] = std::move(in.data);
    in.data = std::move(canon);
    out.emit(std::move(in));
  }

  // One warning per unknown type, with how many records had it: a new assessor vocabulary word
  // shows in the summary once, not once per parcel.
  void close(RunContext& ctx, Emitter&) override {
    std::lock_guard lock(unknown_mu_);
    for (const auto& [key, n] : unknown_types_) {
      ctx.add_counter("normalizer.unknown_property_type", static_cast<double>(n));
      ctx.warn("normalizer '" + id_ + "': " + std::to_string(n) + " record(s) with unknown property type '" + key.raw +
               "' (mapping " + key.kind + "), stored as '" + key.became + "'; add it to `property_types:`");
    }
    unknown_types_.clear();
  }

 private:
  struct TypeKey {
    std::string kind, raw, became;  // the mapping's kind, the raw type word, the type it became
    bool operator<(const TypeKey& o) const { return std::tie(kind, raw, became) < std::tie(o.kind, o.raw, o.became); }
  };

  // to_canonical keeps an unmapped type word in attributes.property_type_raw.
  void count_unknown_type(const json::object& canon, const Mapping& m) {
    const auto* attrs = canon.if_contains("attributes");
    const auto* raw = attrs && attrs->is_object() ? attrs->get_object().if_contains("property_type_raw") : nullptr;
    if (!raw || !raw->is_string()) return;
    const auto* type = canon.if_contains("property_type");
    std::string became = type && type->is_string() ? std::string(type->get_string()) : "null";
    std::lock_guard lock(unknown_mu_);
    ++unknown_types_[TypeKey{m.kind, std::string(raw->get_string()), std::move(became)}];
  }

  std::mutex unknown_mu_;
  std::map<TypeKey, std::int64_t> unknown_types_;

  const Mapping& pick(const Record& r) const {
    if (single_) return *single_;
    if (auto it = by_source_.find(r.env.source); it != by_source_.end()) return *it->second;
    if (auto k = r.data.find("_kind"); k != r.data.end() && k->value().is_string()) {
      if (auto it = by_kind_.find(std::string(k->value().get_string())); it != by_kind_.end()) return *it->second;
    }
    for (const auto& m : mappings_)
      if (m->detects(r.data)) return *m;
    std::string kinds;
    for (const auto& m : mappings_) kinds += (kinds.empty() ? "" : ", ") + m->kind;
    throw RecordError("_kind", "mapping",
                      "no mapping for a record from source '" + r.env.source + "' (loaded: " + kinds +
                          "; route by source id, set `_kind`, or add `detect:` to the mapping)");
  }

  std::string id_;
  bool keep_raw_;
  std::shared_ptr<Mapping> single_;
  std::vector<std::shared_ptr<Mapping>> mappings_;
  std::map<std::string, std::shared_ptr<Mapping>> by_source_, by_kind_;
};

// Loads every named mapping so that `flowrun check` reports one that does not parse, at the
// option that names it (the message carries the mapping's own file:line:column).
void check_mappings(const NormalizerOptions& o, Check& check) {
  const bool one = check.given("mapping"), many = check.given("mappings");
  if (one == many) {
    check.error(one ? "mappings" : "mapping", "set exactly one of `mapping` and `mappings`");
    return;
  }
  auto parses = [&](const std::string& option, const std::string& file) {
    if (file.empty()) return;  // not found: the loader has said so
    try {
      normalizer::load_mapping_file(file);
    } catch (const std::exception& e) {
      check.error(option, e.what());
    }
  };
  parses("mapping", o.mapping);
  for (const auto& [source, file] : o.by_source) parses("mappings", file);
  for (const auto& file : o.listed) parses("mappings", file);
}

}  // namespace

void register_normalizer_nodes(Registry& registry) {
  NodeType<NormalizerOptions> t(
      "normalizer", Role::transform,
      "Maps raw source records (assessor rows, CSV/HTML listings) to the canonical property record "
      "using YAML mappings (pipelines/mappings/); unparseable addresses go to `errors`.");
  t.option("mapping", &NormalizerOptions::mapping,
           "One mapping for every record: a name (maricopa, redfin_csv, html_listing), looked up in "
           "<pipeline dir>/mappings/ and then the shipped mappings, or a YAML path relative to the pipeline.")
      .data_file("mappings", ".yaml");
  t.custom_option("mappings", OptionType::any,
                  "Instead of `mapping`: a map of source node id -> mapping, or a list of mappings chosen per "
                  "record by its `_kind` field or the mapping's `detect:` keys; names are found like `mapping`'s.",
                  read_mappings, show_mappings);
  t.option("keep_raw", &NormalizerOptions::keep_raw, "Also keep the raw record under `raw`.");
  t.validate(check_mappings);
  t.fields([](const NormalizerOptions& o, const std::optional<FieldSet>&) {
    FieldSet f(normalizer::record_fields());
    if (o.keep_raw) f.add("raw.*");
    return std::optional<FieldSet>(std::move(f));
  });
  t.default_concurrency(1);
  t.create([](const NormalizerOptions& o, const NodeInfo& n) { return std::make_unique<NormalizerNode>(o, n); });
  registry.add(t.descriptor());
}

}  // namespace flowrun
