// Validation rules loaded from YAML (pipelines/rules/property.yaml; format in
// docs/normalizing.md) and their evaluation over one canonical record. Every failed rule is
// reported with field, rule, value and message; severity decides reject (error) or warn.
#pragma once
#include <boost/json.hpp>

#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

namespace flowrun::validator {

namespace json = boost::json;

struct RulesError : std::runtime_error {  // what() starts with "file:line:column: "
  using std::runtime_error::runtime_error;
};

enum class Severity { error, warning };
enum class RuleType { required, any_of, range, one_of, pattern, type, ratio, compare, no_override };
// Which part of the quality score a rule feeds (required/any_of feed none: completeness is
// measured over the `completeness:` field lists).
enum class Category { presence, validity, consistency };

struct Condition {
  std::string field;
  std::vector<std::string> values;  // the field's value (as text) must be one of these
  bool absent = false;              // `field: null`: the field is absent or null instead
};
// `when`/`unless`: a map (all of its conditions hold) or a list of maps (any one of them does:
// `unless: [{raw_kind: maricopa}, {listing_type: rent}]`).
using Conditions = std::vector<std::vector<Condition>>;

struct Rule {
  std::string id;          // reported as `rule` ("range", or the rule's own `name:`)
  RuleType type = RuleType::required;
  Category category = Category::presence;
  Severity severity = Severity::error;
  std::string field;                 // dotted path ("address.zip", "enrichment.investment.cap_rate")
  std::vector<std::string> fields;   // any_of
  std::string other;                 // ratio: divisor; compare/no_override: the other field
  std::optional<double> min, max;
  std::vector<std::string> values;   // one_of
  bool ignore_case = false;
  std::string pattern_text;
  std::regex pattern;
  std::string type_name;             // type: number | integer | string | boolean | array | object
  std::string op;                    // compare: < <= > >= == !=
  double tolerance = 0;              // no_override: allowed relative difference for numbers
  std::string message;               // optional explanation prepended to the generic message
  Conditions when, unless;
  std::string where;                 // file:line:column of the rule, for debugging
};

struct RuleSet {
  std::string file;
  std::string kind_field = "raw_kind";
  std::vector<Rule> rules;
  std::map<std::string, std::vector<std::string>> completeness;  // kind (or "default") -> fields
  double w_completeness = 0.5, w_validity = 0.3, w_consistency = 0.2;
};

// `year` replaces the tokens this_year / next_year in min/max (the current UTC year by default).
RuleSet parse_rules(const std::string& yaml_text, const std::string& file, int year = 0);
RuleSet load_rules_file(const std::string& path, int year = 0);

struct Failure {
  std::string field, rule, message;
  json::value value;
  Severity severity = Severity::error;
  json::object to_json() const;
};

struct Outcome {
  std::vector<Failure> errors, warnings;
  double completeness = 1, validity = 1, consistency = 1, score = 1;
  std::vector<std::string> missing;  // expected fields that were null
  bool valid() const { return errors.empty(); }
};

Outcome evaluate(const RuleSet& rules, const json::object& record);

}  // namespace flowrun::validator
