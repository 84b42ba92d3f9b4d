#include "nodes/llm/extract_fill.hpp"

#include <algorithm>
#include <cmath>

#include "engine/json_text.hpp"

namespace flowrun::llm {
namespace json = boost::json;

namespace {

bool present(const json::value* v) {
  return v && !v->is_null() && !(v->is_string() && v->get_string().empty());
}

bool same_value(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return std::fabs(a.to_number<double>() - b.to_number<double>()) < 1e-9;
  return a == b;
}

bool reads(const validator::Rule& r, const std::string& field) {
  if (r.type == validator::RuleType::no_override) return false;  // compares enrichment.* with the source
  return r.field == field || r.other == field || std::find(r.fields.begin(), r.fields.end(), field) != r.fields.end();
}

json::object dropped(const std::string& field, const json::value& value, const std::string& rule,
                     const std::string& message) {
  return {{"field", field}, {"value", value}, {"rule", rule}, {"message", message}};
}

}  // namespace

ExtractFill::ExtractFill(std::vector<std::string> fields, const validator::RuleSet& rules) : fields_(std::move(fields)) {
  for (const auto& f : fields_) {
    validator::RuleSet mine = rules;
    mine.rules.clear();
    for (const auto& r : rules.rules)
      if (reads(r, f)) mine.rules.push_back(r);
    rules_of_.emplace(f, std::move(mine));
  }
}

json::object ExtractFill::apply(json::object& record, json::object& extraction, const std::string& label) const {
  json::array filled, refused;
  for (const auto& f : fields_) {
    json::value* v = extraction.if_contains(f);
    if (!v || v->is_null()) continue;
    const json::value* source = record.if_contains(f);
    if (present(source)) {
      if (!same_value(*source, *v)) {
        refused.push_back(dropped(f, *v, "source_states",
                                  "the source states " + f + " " + to_json_text(*source) + "; the extracted " +
                                      to_json_text(*v) + " is not used"));
        *v = nullptr;
      }
      continue;  // agrees with the source: nothing to fill
    }
    if (present(record.if_contains(f + "_min")) || present(record.if_contains(f + "_max"))) {
      refused.push_back(dropped(f, *v, "source_states",
                                "the source states a range (" + f + "_min, " + f + "_max); the extracted " +
                                    to_json_text(*v) + " is not used"));
      *v = nullptr;
      continue;
    }
    // Try the value in place, against the rules that read this field (with the fields filled so
    // far, so a ratio between two extracted values is checked too).
    const json::value before = source ? *source : json::value();
    const bool had = source != nullptr;
    record[f] = *v;
    validator::Outcome o = validator::evaluate(rules_of_.at(f), record);
    std::vector<validator::Failure> failures = o.errors;
    failures.insert(failures.end(), o.warnings.begin(), o.warnings.end());
    if (!failures.empty()) {
      if (had) record[f] = before;
      else record.erase(f);
      refused.push_back(dropped(f, *v, failures.front().rule, failures.front().message));
      *v = nullptr;
      continue;
    }
    json::value& prov = record["provenance"];
    if (!prov.is_object()) prov = json::object{};
    prov.get_object()[f] = label;
    filled.push_back(json::value(f));
  }
  return {{"filled", std::move(filled)}, {"dropped", std::move(refused)}};
}

}  // namespace flowrun::llm
