// Public face of the address parser: parse_address (address_parser.hpp does the work) and the
// part normalisers used for separate CITY / STATE / UNIT columns.
#include "nodes/normalizer/address.hpp"

#include "nodes/normalizer/address_parser.hpp"
#include "nodes/normalizer/text.hpp"

namespace flowrun::normalizer {

Address parse_address(std::string_view text) { return addr::LineParser(text).run(); }

std::optional<std::string> state_code(std::string_view s) {
  // "N. Mex." -> "N MEX", "Ariz." -> "ARIZ", " az " -> "AZ"
  std::string k;
  k.reserve(s.size());
  for (char c : s) {
    if (c == '.' || c == ',') continue;
    k.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
  }
  auto code = addr::state_of_words(squish(k));
  if (!code) return std::nullopt;
  return std::string(*code);
}

std::string normalize_state(std::string_view s) {
  std::string t = squish(s);
  if (t.empty()) return "";
  if (auto code = state_code(t)) return *code;
  return to_upper(t);
}

std::string normalize_city(std::string_view s) {
  std::string t = squish(s);
  while (!t.empty() && (t.back() == ',' || t.back() == '.')) t.pop_back();
  return title_case(t);
}

std::string normalize_unit(std::string_view s) {
  addr::TokenLine line;
  addr::tokenize(s, line);
  const auto& ts = line.tokens;
  std::size_t i = 0;
  if (ts.size() >= 2 && addr::is_ordinal_text(ts[0].text) && ts[1].is(addr::kFloor))  // "3rd Floor"
    return std::string(ts[0].text.substr(0, ts[0].text.size() - 2));
  while (i < ts.size() && (ts[i].is(addr::kDesignator | addr::kUnitless) || ts[i].is_hash() || ts[i].text == "NO")) ++i;
  if (i == ts.size()) {
    // A unit that is its designator ("Rear", "PH") stays; a designator without its number is no unit.
    return ts.size() == 1 && ts[0].is(addr::kUnitless) ? std::string(ts[0].word->designator) : "";
  }
  std::string out;
  for (; i < ts.size(); ++i) {
    if (ts[i].is_hash() || ts[i].is_dash()) continue;
    if (!out.empty()) out.push_back(' ');
    out += ts[i].text;
  }
  return out;
}

std::string_view rule_name(AddressRule r) {
  switch (r) {
    case AddressRule::none: return "none";
    case AddressRule::number_digits: return "digits";
    case AddressRule::number_fraction: return "fraction";
    case AddressRule::number_grid: return "grid";
    case AddressRule::number_letter_prefix: return "letter_prefix";
    case AddressRule::number_spelled: return "spelled";
    case AddressRule::street_suffix: return "suffix";
    case AddressRule::street_numbered_road: return "numbered_road";
    case AddressRule::street_before_unit: return "before_unit";
    case AddressRule::street_before_city: return "before_city";
    case AddressRule::street_whole: return "whole";
    case AddressRule::unit_designator: return "designator";
    case AddressRule::unit_pound: return "pound";
    case AddressRule::unit_floor_ordinal: return "floor_ordinal";
    case AddressRule::unit_unitless: return "unitless";
    case AddressRule::unit_after_suffix: return "after_suffix";
    case AddressRule::unit_comma_part: return "comma_part";
    case AddressRule::city_comma_part: return "comma_part";
    case AddressRule::city_place_table: return "place_table";
    case AddressRule::city_after_street: return "after_street";
    case AddressRule::state_code: return "code";
    case AddressRule::state_name: return "name";
    case AddressRule::zip_end: return "end";
  }
  return "none";
}

std::string describe_rules(const AddressRules& r) {
  std::string out;
  auto add = [&](const char* part, AddressRule rule) {
    if (rule == AddressRule::none) return;
    if (!out.empty()) out.push_back(' ');
    out.append(part).append("=").append(rule_name(rule));
  };
  add("number", r.number);
  add("street", r.street);
  add("unit", r.unit);
  add("city", r.city);
  add("state", r.state);
  add("zip", r.zip);
  return out;
}

}  // namespace flowrun::normalizer
