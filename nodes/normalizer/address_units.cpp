// Secondary units, by USPS Publication 28 C2: a designator and its number ("APT 4B", "LOT 163",
// "SP#348", "Floor 3", "3rd Floor"), "#" and a number, a designator that is the unit itself
// ("REAR", "BSMT"), and the assessor's bare number after the suffix ("... RD 1").
#include "nodes/normalizer/address_parser.hpp"

namespace flowrun::normalizer::addr {
namespace {

bool has_digit_text(std::string_view s) {
  for (char c : s)
    if (c >= '0' && c <= '9') return true;
  return false;
}

bool unit_chars(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

// "3RD" -> "3" for floors.
std::string floor_number(std::string_view s) {
  if (is_ordinal_text(s)) s.remove_suffix(2);
  return std::string(s);
}

// "APT4B" -> 3, "STE100" -> 3, "SP12" -> 2: where a designator written together with its
// number ends; 0 when the word is not one.
std::size_t glued_designator(std::string_view s) {
  std::size_t cut = 0;
  while (cut < s.size() && s[cut] >= 'A' && s[cut] <= 'Z') ++cut;
  if (cut < 2 || cut >= s.size() || s[cut] < '0' || s[cut] > '9' || !unit_chars(s.substr(cut))) return 0;
  const WordInfo* w = lookup_word(s.substr(0, cut));
  return w && w->is(kDesignator) ? cut : 0;
}

}  // namespace

// A unit's value after its designator: digits somewhere ("4B", "06-305", "B2"), or one letter,
// or up to three letters that are no street word ("Apt B", "Ste AA", "Apt OK"; not "Unit Rd").
bool LineParser::unit_value(const Token& t) const {
  if (t.text.empty() || t.text.size() > 12 || !unit_chars(t.text)) return false;
  if (has_digit_text(t.text) || t.text.size() == 1) return true;
  return t.text.size() <= 3 && !t.is(kSuffix | kDesignator | kUnitless | kDirectional);
}

// A unit with no designator, right after the street's suffix: "4B", "1", "B" (not N/S/E/W,
// which are post-directionals; not ordinals, which are street names).
bool LineParser::bare_unit(const Token& t) const {
  if (t.text.empty() || t.text.size() > 8 || !unit_chars(t.text)) return false;
  if (has_digit_text(t.text)) return !is_ordinal_text(t.text);
  return t.text.size() == 1 && !t.is(kDirectional);
}

// The unit that begins at token i (before e): the number of tokens it takes, 0 if none.
std::size_t LineParser::unit_at(std::size_t i, std::size_t e, UnitPart* out, bool unitless_ok) const {
  if (i >= e) return 0;
  const Token& t = tok(i);
  UnitPart u;
  std::size_t j = i + 1;
  if (t.is_hash() || t.is(kDesignator)) {
    u.rule = t.is_hash() ? AddressRule::unit_pound : AddressRule::unit_designator;
    if (t.is_hash() && j < e && tok(j).is(kDesignator)) {  // "# APT 3"
      u.designator = tok(j).word->designator;
      ++j;
    } else if (!t.is_hash()) {
      u.designator = t.word->designator;
    }
    if (j < e && (tok(j).is_hash() || tok(j).text == "NO")) ++j;  // "APT # 4", "SP#348", "Apt No 5"
    if (j >= e || !unit_value(tok(j))) return 0;
    u.value = u.designator == "FL" ? floor_number(tok(j).text) : std::string(tok(j).text);
    ++j;
  } else if ((is_ordinal_text(t.text) || t.is(kSpelledOrdinal)) && j < e && tok(j).is(kFloor)) {  // "3rd Floor"
    u.designator = "FL";
    u.value = t.is(kSpelledOrdinal) ? std::string(t.word->number) : floor_number(t.text);
    u.rule = AddressRule::unit_floor_ordinal;
    ++j;
  } else if (std::size_t cut = glued_designator(t.text); cut != 0) {  // "APT4B", "STE100"
    u.designator = lookup_word(t.text.substr(0, cut))->designator;
    u.value = u.designator == "FL" ? floor_number(t.text.substr(cut)) : std::string(t.text.substr(cut));
    u.rule = AddressRule::unit_designator;
  } else if (t.is(kUnitless) && unitless_ok) {  // "REAR", "PH 2"
    u.designator = t.word->designator;
    u.rule = AddressRule::unit_unitless;
    if (j < e && has_digit_text(tok(j).text) && bare_unit(tok(j))) u.value = std::string(tok(j++).text);
  } else {
    return 0;
  }
  if (out) *out = std::move(u);
  return j - i;
}

// The first unit after at least one word of the street's name. A designator without a number
// ("Suite" alone) is not a unit; a unitless designator counts only after the suffix, so that
// "Lower Buckeye Rd" keeps its name.
std::size_t LineParser::first_unit(std::size_t b, std::size_t e) const {
  for (std::size_t i = b + 1; i < e; ++i) {
    const Token& prev = tok(i - 1);
    bool after_suffix = prev.is(kSuffix) || (prev.is(kDirectional) && i >= b + 2 && tok(i - 2).is(kSuffix));
    if (unit_at(i, e, nullptr, after_suffix && i - 1 > b)) return i;
  }
  return npos;
}

// Reads consecutive units from token i; returns the token after the last one.
std::size_t LineParser::read_units(std::size_t i, std::size_t e, AddressRule rule) {
  UnitPart u;
  while (std::size_t n = unit_at(i, e, &u, true)) {
    if (rule != AddressRule::none && u.rule != AddressRule::unit_pound) u.rule = rule;
    units_.push_back(std::move(u));
    i += n;
  }
  return i;
}

// One unit: its value ("4B"), or the designator when it is the unit ("REAR"). Two or more
// (a building and an apartment) are all kept, each with its designator, and the record says so.
void LineParser::format_unit() {
  if (units_.empty()) return;
  a_.rules.unit = units_.front().rule;
  if (units_.size() == 1) {
    const UnitPart& u = units_.front();
    a_.unit = u.value.empty() ? std::string(u.designator)
              : u.rule == AddressRule::unit_unitless ? std::string(u.designator) + " " + u.value
                                                       : u.value;
    return;
  }
  std::string all;
  for (const auto& u : units_) {
    if (!all.empty()) all.push_back(' ');
    if (!u.designator.empty()) all += std::string(u.designator) + (u.value.empty() ? "" : " ");
    else if (u.rule == AddressRule::unit_pound) all += "# ";
    all += u.value;
  }
  a_.unit = all;
  warn("more than one secondary unit ('" + all + "'); all kept in the unit");
}

}  // namespace flowrun::normalizer::addr
