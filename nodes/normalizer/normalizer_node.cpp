// The `normalizer` node: picks the mapping for each raw record and emits the canonical record.
// Mapping choice (docs/normalizing.md): `mapping:` = one mapping for every record; `mappings:` =
// a map of source node id -> mapping, or a list of mappings chosen per record by the record's
// `_kind` field or by each mapping's `detect:` keys (for mixed files).
#include <filesystem>
#include <map>
#include <memory>

#include "engine/context.hpp"
#include "engine/node.hpp"
#include "engine/registry.hpp"
#include "nodes/normalizer/canonical.hpp"
#include "nodes/normalizer/mapping.hpp"
#include "nodes/normalizer/register.hpp"

namespace flowrun {
namespace {

namespace fs = std::filesystem;
using norm::Mapping;

// "maricopa" -> <pipeline dir>/mappings/maricopa.yaml or ./pipelines/mappings/maricopa.yaml;
// anything else is a path (relative: from the working directory).
std::string find_mapping(const std::string& base_dir, const std::string& name) {
  std::vector<std::string> tries = {resolve_path(base_dir, name)};
  if (fs::path(name).extension().empty()) {
    tries.push_back(resolve_path(base_dir, "mappings/" + name + ".yaml"));
    tries.push_back(resolve_path(base_dir, "pipelines/mappings/" + name + ".yaml"));
    tries.push_back("pipelines/mappings/" + name + ".yaml");
  }
  for (const auto& t : tries)
    if (fs::is_regular_file(t)) return t;
  return tries.front();
}

class NormalizerNode : public ProcessNode {
 public:
  explicit NormalizerNode(const NodeConfig& cfg) : keep_raw_(cfg.get_bool("keep_raw", false)) {
    bool one = cfg.has("mapping"), many = cfg.has("mappings");
    if (one == many)
      throw std::invalid_argument("node '" + cfg.id() + "': set exactly one of `mapping` and `mappings`");
    auto load = [&](const std::string& name) {
      mappings_.push_back(std::make_shared<Mapping>(norm::load_mapping_file(find_mapping(cfg.base_dir(), name))));
      return mappings_.back();
    };
    if (one) {
      single_ = load(cfg.get_string("mapping"));
      return;
    }
    YAML::Node m = cfg.get_node("mappings");
    if (m.IsMap()) {
      for (const auto& kv : m) by_source_[kv.first.Scalar()] = load(kv.second.Scalar());
    } else if (m.IsSequence()) {
      for (const auto& item : m) load(item.Scalar());
    } else {
      load(m.Scalar());
    }
    for (const auto& mp : mappings_) by_kind_[mp->kind] = mp;
  }

  void process(Record in, RunContext&, Emitter& out) override {
    const Mapping& m = pick(in);
    norm::SourceInfo src{in.env.source, in.env.source_id, ""};
    if (auto it = in.data.find("collected_at"); it != in.data.end() && it->value().is_string())
      src.collected_at = std::string(it->value().get_string());
    json::object canon = norm::to_canonical(in.data, m, src);
    // What the source could not fetch (a detail endpoint that failed after its retries) must
    // reach the store with the record, or a parcel stored without its values says nothing of why.
    if (auto w = in.meta.find("warnings"); w != in.meta.end() && w->value().is_array() && !w->value().get_array().empty()) {
      json::value& all = canon["source_warnings"];  // may already hold the address parser's
      if (!all.is_array()) all = json::array();
      for (const auto& x : w->value().get_array()) all.as_array().push_back(x);
    }
    if (keep_raw_) canon["raw"] = std::move(in.data);
    in.data = std::move(canon);
    out.emit(std::move(in));
  }

 private:
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

  bool keep_raw_;
  std::shared_ptr<Mapping> single_;
  std::vector<std::shared_ptr<Mapping>> mappings_;
  std::map<std::string, std::shared_ptr<Mapping>> by_source_, by_kind_;
};

}  // namespace

void register_normalizer_nodes(Registry& registry) {
  NodeDescriptor d;
  d.type = "normalizer";
  d.role = Role::transform;
  d.description =
      "Maps raw source records (assessor rows, CSV/HTML listings) to the canonical property record "
      "using YAML mappings (pipelines/mappings/); unparseable addresses go to `errors`.";
  d.options = {
      {"mapping", OptionType::string, "",
       "one mapping for every record: a name (maricopa, redfin_csv, html_listing) or a YAML path "
       "relative to the working directory"},
      {"mappings", OptionType::any, "",
       "instead of `mapping`: a map of source node id -> mapping, or a list of mappings chosen per "
       "record by its `_kind` field or the mapping's `detect:` keys"},
      {"keep_raw", OptionType::boolean, "false", "also keep the raw record under `raw`"},
  };
  d.default_concurrency = 1;
  d.factory = [](const NodeConfig& cfg) -> std::unique_ptr<Node> { return std::make_unique<NormalizerNode>(cfg); };
  registry.add(std::move(d));
}

}  // namespace flowrun
