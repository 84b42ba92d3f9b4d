// The street's own comma part: house number, then where the street ends (a unit, a numbered
// road, the last suffix that ends streets), what follows it (post-directional, unit, city),
// and the printed street "123 N Main St NW".
#include "nodes/normalizer/address_parser.hpp"

#include "nodes/normalizer/address_places.hpp"
#include "nodes/normalizer/text.hpp"

namespace flowrun::normalizer::addr {
namespace {

bool starts_with_digit(std::string_view s) { return !s.empty() && s[0] >= '0' && s[0] <= '9'; }

// "N165", "W2123", "T703": one letter, then digits.
bool letter_then_digits(std::string_view s) {
  return s.size() >= 2 && s[0] >= 'A' && s[0] <= 'Z' && all_digits_text(s.substr(1));
}
bool grid_part(std::string_view s) {
  return letter_then_digits(s) && (s[0] == 'N' || s[0] == 'S' || s[0] == 'E' || s[0] == 'W');
}
// "N165W2123": both grid parts in one word.
bool grid_joined(std::string_view s) {
  for (std::size_t i = 2; i + 1 < s.size(); ++i)
    if (s[i] >= 'A' && s[i] <= 'Z') return grid_part(s.substr(0, i)) && grid_part(s.substr(i));
  return false;
}
bool fraction(std::string_view s) {
  auto slash = s.find('/');
  return slash != std::string_view::npos && all_digits_text(s.substr(0, slash)) && all_digits_text(s.substr(slash + 1));
}
bool road_number(std::string_view s) {
  return starts_with_digit(s) && s.size() <= 5 && !is_ordinal_text(s);
}
// "I-10", "US-60", "SR-51": a road and its number in one word.
bool joined_road(std::string_view s) {
  auto dash = s.find('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  const WordInfo* w = lookup_word(s.substr(0, dash));
  return w && w->is(kRoadWord) && road_number(s.substr(dash + 1));
}

}  // namespace

// Whether a house number can begin at token i (what take_house_number accepts).
bool LineParser::number_starts_at(std::size_t i) const {
  const Token& t = tok(i);
  if (starts_with_digit(t.text) || letter_then_digits(t.text) || grid_joined(t.text)) return true;
  if (t.is_hash()) return i + 1 < end_ && starts_with_digit(tok(i + 1).text);
  return t.is(kSpelledNumber) && i + 1 < end_;
}

// "Suite 200, 100 Main St, ..." and "Empire State Building, 350 5th Ave, ...": when the line does
// not begin with a house number but a later part does, the parts before that one are a unit
// (kept) or a name (said, not used).
void LineParser::skip_parts_before_street() {
  if (number_starts_at(0)) return;
  std::size_t start = npos;
  for (std::size_t i = 1; i < end_ && start == npos; ++i)
    if (tok(i).part != tok(i - 1).part && number_starts_at(i)) start = i;
  if (start == npos) return;
  for (std::size_t b = 0; b < start;) {
    std::size_t e = b, j = b;
    while (e < start && tok(e).part == tok(b).part) ++e;
    while (std::size_t n = unit_at(j, e, nullptr, true)) j += n;
    if (j == e) read_units(b, e, AddressRule::none);
    else warn("part '" + words_text(b, e) + "' before the street not placed");
    b = e;
  }
  line_.tokens.erase(line_.tokens.begin(), line_.tokens.begin() + static_cast<std::ptrdiff_t>(start));
  end_ -= start;
}

// Digits ("123", "123A", "12-14"), a fraction after them ("123 1/2"), a Wisconsin grid number
// ("N165 W2123"), a letter and digits ("T703"), or a spelled-out number ("One"). A "#" before
// the number is dropped ("# 2 Turner Rd").
void LineParser::take_house_number() {
  std::size_t i = 0;
  if (tok(0).is_hash() && end_ > 1 && starts_with_digit(tok(1).text)) i = 1;
  const Token& t = tok(i);
  std::size_t j = i + 1;
  if (starts_with_digit(t.text)) {
    number_ = std::string(t.text);
    a_.rules.number = AddressRule::number_digits;
    if (j < end_ && fraction(tok(j).text)) {
      number_ += " " + std::string(tok(j++).text);
      a_.rules.number = AddressRule::number_fraction;
    }
  } else if (grid_part(t.text) && j < end_ && grid_part(tok(j).text)) {
    number_ = std::string(t.text) + " " + std::string(tok(j++).text);
    a_.rules.number = AddressRule::number_grid;
  } else if (grid_joined(t.text)) {
    number_ = std::string(t.text);
    a_.rules.number = AddressRule::number_grid;
  } else if (letter_then_digits(t.text)) {
    number_ = std::string(t.text);
    a_.rules.number = AddressRule::number_letter_prefix;
  } else if (t.is(kSpelledNumber) && j < end_) {
    number_ = title_case(t.text);
    a_.rules.number = AddressRule::number_spelled;
  } else {
    fail("has no house number");
  }
  number_end_ = j;
  if (number_end_ >= end_) fail("has no street name");
}

// The street's part: a place of the table at its end is the city; then the street ends at the
// first unit, at a numbered road or at its last suffix; what follows is post-directional, unit
// and (when a state or ZIP closes the line) the city. What is left stays in the street.
void LineParser::split_street_part() {
  std::size_t b = number_end_, e = street_end_;
  bool city_open = a_.city.empty();
  if (city_open && b < e) e = take_table_city(b, e);
  bool city_may_follow = a_.city.empty() && (!a_.state.empty() || !a_.zip.empty());
  std::size_t street_e = e, j = e;
  std::size_t u = first_unit(b, e);
  bool primary = false;
  std::size_t k = u == npos ? last_suffix(b, e, &primary) : npos;
  // A numbered road ends the street unless a suffix follows it ("I-17 Frontage Rd").
  RoadSpan road = u == npos ? find_road(b, e) : RoadSpan{};
  if (road.found() && k != npos && primary && k >= road.end) road = {};
  // A suffix that is as often a name's word (Via, Vista, Park) ends the street only when what
  // follows it can follow a street: a directional, a unit, or a city before the state/ZIP.
  if (k != npos && !primary && !city_may_follow && k + 1 < e && !tok(k + 1).is(kDirectional) &&
      !unit_at(k + 1, e, nullptr, true) && !bare_unit(tok(k + 1)))
    k = npos;
  if (u != npos) {
    street_e = u;
    j = read_units(u, e, AddressRule::none);
    a_.rules.street = AddressRule::street_before_unit;
  } else if (road.found()) {
    street_e = road.end;
    j = read_after_street_end(road.end, e, city_may_follow);
    a_.rules.street = AddressRule::street_numbered_road;
  } else if (k != npos) {
    street_e = k + 1;
    j = read_after_street_end(k + 1, e, city_may_follow);
    a_.rules.street = AddressRule::street_suffix;
    if (!primary && city_may_follow && j == e && a_.city.empty())
      warn("no comma or known place marks where the street ends; the city may be in the street '" +
           words_text(b, e) + "'");
  } else {
    a_.rules.street = a_.city.empty() ? AddressRule::street_whole : AddressRule::street_before_city;
    if (city_may_follow && e - b >= 2)
      warn("no comma, suffix or known place marks where the street ends; the city may be in the street '" +
           words_text(b, e) + "'");
  }
  if (a_.rules.city == AddressRule::city_place_table && a_.rules.street == AddressRule::street_whole)
    a_.rules.street = AddressRule::street_before_city;
  if (j < e) {
    if (city_may_follow && a_.city.empty()) {
      take_structural_city(j, e);
    } else {
      leftover_b_ = j, leftover_e_ = e;
      warn("'" + words_text(j, e) + "' after the street could not be placed; kept in the street");
    }
  }
  format_street(b, street_e);
}

// A place of the state's table that ends the street's part ("... Dr Sun City West AZ"),
// longest first, where a city can stand: before the state/ZIP, or after the street's end when
// the line has neither. Returns where the street's words end.
std::size_t LineParser::take_table_city(std::size_t b, std::size_t e) {
  std::string_view st = table_state();
  if (!has_places(st)) return e;
  bool closed = !a_.state.empty() || !a_.zip.empty();
  // The key of [k, e) is built right to left in a buffer, one word per step; the longest
  // match that leaves the street a name and stands where a city can wins.
  char buf[160];
  std::size_t pos = sizeof buf, best = e;
  const PlaceRow* best_row = nullptr;
  std::string slow;
  for (std::size_t k = e; k-- > b + 1 && e - k <= 5;) {
    std::string_view text = tok(k).text, folded;
    if (text.find_first_of("-'&") == std::string_view::npos) {
      folded = fold_word(text, tok(k).word);
    } else {
      slow.clear();
      append_place_word(slow, text);
      folded = slow;
    }
    if (k + 1 == e && !could_end_place(folded.substr(folded.rfind(' ') + 1))) return e;
    if (folded.size() + 1 > pos) break;
    if (k + 1 < e) buf[--pos] = ' ';
    pos -= folded.size();
    for (std::size_t i = 0; i < folded.size(); ++i) buf[pos + i] = folded[i];
    const PlaceRow* row = find_place(st, std::string_view(buf + pos, sizeof buf - pos));
    if (row && has_name_word(b, k) && (closed || city_can_start_at(k))) best = k, best_row = row;
  }
  if (!best_row) return e;
  a_.city = best_row->name;
  a_.rules.city = AddressRule::city_place_table;
  if ((tok(best).text == "ST" || tok(best).text == "STE") && !tok(best - 1).is(kSuffix))
    warn("'" + title_case(tok(best).text) + "' read as part of the city '" + a_.city + "', not the street's suffix");
  return best;
}

// After the street's end: a post-directional, then a unit. A spelled-out directional followed
// by more words ("Dr North Palm Beach FL") begins the city when a city may follow.
std::size_t LineParser::read_after_street_end(std::size_t j, std::size_t e, bool city_may_follow) {
  if (j < e && tok(j).is(kDirectional) && post_dir_ == npos) {
    bool last = j + 1 == e;
    bool unit_next = !last && (unit_at(j + 1, e, nullptr, true) || bare_unit(tok(j + 1)));
    if (!tok(j).is(kDirSpelled) || last || unit_next || !city_may_follow) {
      post_dir_ = j++;
    } else {
      dir_starts_city_ = true;
      return j;
    }
  }
  if (j >= e) return j;
  std::size_t after = read_units(j, e, AddressRule::none);
  if (after > j) return after;
  if (bare_unit(tok(j))) {
    units_.push_back({{}, std::string(tok(j).text), AddressRule::unit_after_suffix});
    return j + 1;
  }
  return j;
}

// The words between the street's end and the state/ZIP ("... King Dr Chicago, IL 60637").
void LineParser::take_structural_city(std::size_t b, std::size_t e) {
  for (std::size_t i = b; i < e; ++i) {
    bool digits = false;
    for (char c : tok(i).text) digits = digits || (c >= '0' && c <= '9');
    if (digits || tok(i).is_hash()) {  // a city has no numbers: leave the words where they are
      leftover_b_ = b, leftover_e_ = e;
      warn("'" + words_text(b, e) + "' after the street could not be placed; kept in the street");
      return;
    }
  }
  a_.city = city_text(b, e);
  a_.rules.city = AddressRule::city_after_street;
  if (dir_starts_city_)
    warn("'" + title_case(tok(b).text) + "' read as the first word of the city '" + a_.city + "', not a post-directional");
  if (table_state() == "AZ" && (!a_.state.empty() || !a_.zip.empty()))
    warn("city '" + a_.city + "' is not in the Arizona place table");
}

// The last suffix after the first name word: the last primary one if any, else the last one.
std::size_t LineParser::last_suffix(std::size_t b, std::size_t e, bool* primary) const {
  std::size_t any = npos;
  for (std::size_t k = e; k-- > b + 1;) {
    if (tok(k).is(kPrimarySuffix)) {
      *primary = true;
      return k;
    }
    if (any == npos && tok(k).is(kSuffix)) any = k;
  }
  *primary = false;
  return any;
}

// "Highway 71 Business", "County Road 43", "State Route 66", "I 17", "I-10", "US Hwy 60".
RoadSpan LineParser::find_road(std::size_t b, std::size_t e) const {
  for (std::size_t i = b; i < e; ++i) {
    const Token& t = tok(i);
    std::size_t end = npos;
    if (joined_road(t.text)) end = i + 1;
    else if (i + 1 < e && road_number(tok(i + 1).text)) {
      bool road = t.is(kRoadWord) || (t.is(kRoadQualified) && i > b && tok(i - 1).is(kRoadQualifier));
      if (road) end = i + 2;
    }
    if (end == npos) continue;
    while (end < e && tok(end).is(kRouteTag)) ++end;
    std::size_t begin = i;  // "US Highway 60", "State Route 66"
    while (begin > b && tok(begin - 1).is(kRoadQualifier | kRoadWord)) --begin;
    return {begin, end};
  }
  return {};
}

// A city can begin at token k when the token before it ends a street: a suffix, a
// post-directional, a unit's value or a number.
bool LineParser::city_can_start_at(std::size_t k) const {
  if (k == 0) return false;
  const Token& p = tok(k - 1);
  if (p.is(kSuffix | kUnitless)) return true;
  if (p.is(kDirectional)) return k >= 2 && tok(k - 2).is(kSuffix);
  bool digit = !p.text.empty() && p.text[0] >= '0' && p.text[0] <= '9';
  return digit || (k >= 2 && (tok(k - 2).is(kDesignator) || tok(k - 2).is_hash()));
}

}  // namespace flowrun::normalizer::addr
