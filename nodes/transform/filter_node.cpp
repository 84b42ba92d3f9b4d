// `filter`: records for which `when` is true go to `out`; the rest go to `dropped` when a node
// consumes it, else they are counted as filtered.
#include "engine/node_type.hpp"
#include "nodes/transform/transform_options.hpp"

namespace flowrun::transform {

namespace {

struct FilterOptions {
  Expr when;
  Limits limits;
};

std::shared_ptr<const std::vector<Chunk>> chunks_of(const FilterOptions& o) {
  return std::make_shared<const std::vector<Chunk>>(std::vector<Chunk>{{o.when, ChunkKind::condition}});
}

class FilterNode : public ProcessNode {
 public:
  explicit FilterNode(const FilterOptions& o) : programs_(chunks_of(o), o.limits) {}

  void process(Record in, RunContext&, Emitter& out) override {
    const bool keep = programs_.acquire()->test(0, in.data);
    if (keep) out.emit(std::move(in));
    else if (out.consumed("dropped")) out.emit("dropped", std::move(in));
    else out.filtered();
  }

 private:
  ProgramPool programs_;
};

}  // namespace

NodeDescriptor filter_descriptor() {
  NodeType<FilterOptions> t("filter", Role::transform,
                            "Passes the records for which the Lua condition `when` is true to `out`. The others go to "
                            "`dropped` when a node consumes it, else they are counted as filtered. A record the "
                            "condition fails on (an error, the time or memory limit) goes to `errors`.");
  t.custom_option(
       "when", OptionType::string,
       "Lua condition over the record's fields, e.g. `property_type ~= \"vacant_land\" and price ~= nil and price < "
       "600000`. Fields are globals (null reads as nil); `record` is the whole record.",
       [](FilterOptions& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
         return read_expression(o.when, "when", v, s, c);
       },
       [](const FilterOptions& o) { return o.when.text; })
      .required();
  t.include(&FilterOptions::limits, limit_options());
  t.data_ports({"dropped"});
  t.passes_fields();
  t.validate([](const FilterOptions& o, Check& c) { check_compiles(*chunks_of(o), o.limits, c); });
  t.create([](const FilterOptions& o, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<FilterNode>(o); });
  return t.descriptor();
}

}  // namespace flowrun::transform
