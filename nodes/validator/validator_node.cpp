// The `validator` node: applies a YAML rule set to each record. Valid records go to `out` with
// `quality_score`, `quality` and `warnings`; invalid ones to `rejected` with every failed rule in
// `validation.errors`. Nothing is dropped.
#include <filesystem>
#include <memory>

#include "engine/context.hpp"
#include "engine/node.hpp"
#include "engine/node_type.hpp"
#include "nodes/validator/register.hpp"
#include "nodes/validator/rules.hpp"

namespace flowrun {
namespace {

struct ValidatorOptions {
  std::string rules = "property";  // found by the loader: <pipeline dir>/rules/, then the shipped rules
  bool strict = false;
};

json::array to_array(const std::vector<validator::Failure>& fs) {
  json::array out;
  out.reserve(fs.size());
  for (const auto& f : fs) out.push_back(f.to_json());
  return out;
}

class ValidatorNode : public ProcessNode {
 public:
  explicit ValidatorNode(const ValidatorOptions& o) : rules_(validator::load_rules_file(o.rules)), strict_(o.strict) {}

  // Counted from the start, so that a day without rejections shows 0, not a missing series (the
  // dashboards' rejection rate).
  void open(RunContext& ctx) override { ctx.add_counter("validator.rejected", 0); }

  void process(Record in, RunContext& ctx, Emitter& out) override {
    validator::Outcome o = validator::evaluate(rules_, in.data);
    bool valid = o.valid() && !(strict_ && !o.warnings.empty());
    json::object q{{"completeness", o.completeness}, {"validity", o.validity},
                   {"consistency", o.consistency}};
    if (!o.missing.empty()) {
      json::array missing;
      for (const auto& m : o.missing) missing.push_back(json::value(m));
      q["missing"] = std::move(missing);
    }
    in.data["quality_score"] = o.score;
    in.data["quality"] = std::move(q);
    in.data["warnings"] = to_array(o.warnings);
    if (valid) {
      out.emit(std::move(in));
      return;
    }
    json::array errors = to_array(o.errors);
    if (strict_)
      for (auto& w : in.data["warnings"].as_array()) errors.push_back(w);
    // Dead-letter sinks read meta.error: give them the first failed rule as the reason (the
    // full list stays in data.validation.errors).
    json::object reason{{"message", std::to_string(errors.size()) + " rule(s) failed"}};
    if (!errors.empty() && errors.front().is_object()) {
      const auto& first = errors.front().as_object();
      auto text = [&](const char* k) {
        auto* v = first.if_contains(k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
      };
      reason = json::object{{"field", text("field")}, {"rule", text("rule")},
                            // field and rule go beside the message: dead-letter sinks put them in front
                            {"message", text("message") +
                                            (errors.size() > 1 ? " (+" + std::to_string(errors.size() - 1) + " more)" : "")}};
    }
    in.meta["error"] = std::move(reason);
    in.data["validation"] = json::object{{"valid", false}, {"rules", rules_.file}, {"errors", std::move(errors)}};
    ctx.add_counter("validator.rejected", 1);
    out.emit("rejected", std::move(in));
  }

 private:
  validator::RuleSet rules_;
  bool strict_;
};

// The rule set must parse for `flowrun check` to pass; its own errors carry file:line:column.
void check_rules(const ValidatorOptions& o, Check& check) {
  if (!std::filesystem::is_regular_file(o.rules)) return;  // not found: the loader has said so
  try {
    validator::load_rules_file(o.rules);
  } catch (const std::exception& e) {
    check.error("rules", e.what());
  }
}

}  // namespace

void register_validator_nodes(Registry& registry) {
  NodeType<ValidatorOptions> t(
      "validator", Role::transform,
      "Checks canonical records against YAML rules (required per source kind, ranges, enums, regex, "
      "cross-field and LLM-field checks); valid -> out with quality_score and warnings, invalid -> "
      "rejected with every failed rule.");
  t.option("rules", &ValidatorOptions::rules,
           "Rule set: a name (property), looked up in <pipeline dir>/rules/ and then the shipped rules, or a "
           "YAML path relative to the pipeline.")
      .data_file("rules", ".yaml");
  t.option("strict", &ValidatorOptions::strict, "Treat warnings as errors (reject on any failed rule).");
  t.validate(check_rules);
  t.fields([](const ValidatorOptions&, std::optional<FieldSet> in) {  // what process() adds to a valid record
    if (in)
      for (const char* f : {"quality_score", "quality.completeness", "quality.validity", "quality.consistency",
                            "quality.missing", "warnings"})
        in->add(f);
    return in;
  });
  t.ports({"rejected"});
  t.create([](const ValidatorOptions& o, const NodeInfo&) { return std::make_unique<ValidatorNode>(o); });
  registry.add(t.descriptor());
}

}  // namespace flowrun
