// The order of the parse (docs/normalizing.md): country and ZIP from the end of the line; parts
// before the street and the house number from the front; the state from the end; the comma
// parts after the street (post-directional, units, city); then the street's own part
// (address_street.cpp).
#include "nodes/normalizer/address_parser.hpp"

#include "nodes/normalizer/address_places.hpp"
#include "nodes/normalizer/text.hpp"

namespace flowrun::normalizer::addr {
namespace {

bool is_zip5(std::string_view s) { return s.size() == 5 && all_digits_text(s); }
bool is_zip4(std::string_view s) { return s.size() == 4 && all_digits_text(s); }

}  // namespace

Address LineParser::run() {
  tokenize(text_, line_);
  end_ = line_.tokens.size();
  std::size_t words = 0;
  for (const auto& t : line_.tokens) words += !t.is_dash() && !t.is_hash();
  if (words == 0) fail("is empty");
  take_country();
  take_zip();
  drop_dashes();
  skip_parts_before_street();
  take_house_number();
  take_state();
  read_parts_after_street();
  split_street_part();
  format_unit();
  return std::move(a_);
}

void LineParser::fail(const char* why) const {
  std::string s = squish(text_);
  if (std::string_view(why) == "is empty") throw AddressError("address is empty");
  throw AddressError("address '" + s + "' " + why);
}

// "..., AZ 85001, USA", "... United States": a country after the address says nothing we keep.
void LineParser::take_country() {
  auto text_at = [&](std::size_t from_end) -> std::string_view {
    return end_ >= from_end ? tok(end_ - from_end).text : std::string_view();
  };
  if (text_at(4) == "UNITED" && text_at(3) == "STATES" && text_at(2) == "OF" && text_at(1) == "AMERICA") {
    end_ -= 4;
  } else if (text_at(2) == "UNITED" && text_at(1) == "STATES") {
    end_ -= 2;
  } else if (end_ > 2 && tok(end_ - 1).is(kCountry)) {
    end_ -= 1;
  } else if (end_ > 2 && text_at(1) == "US") {
    // "US" is also a highway ("US 60"): only a country when it stands after a ZIP or a comma.
    const Token& us = tok(end_ - 1);
    const Token& before = tok(end_ - 2);
    if (us.part != before.part || all_digits_text(before.text)) end_ -= 1;
  }
}

// The last number of the line, when it is a ZIP: "85001", "85001-1234", "85001 - 1234",
// "850011234", "97212 4321", "94103—1612" (read as a dash), "11201." (periods are dropped).
void LineParser::take_zip() {
  std::size_t e = end_;
  while (e > 0 && tok(e - 1).is_dash()) --e;
  if (e == 0) return;
  std::string_view last = tok(e - 1).text;
  std::string_view zip, zip4;
  std::size_t start = npos;
  if (is_zip4(last) && e >= 3 && tok(e - 2).is_dash() && is_zip5(tok(e - 3).text)) {
    zip = tok(e - 3).text, zip4 = last, start = e - 3;
  } else if (is_zip4(last) && e >= 2 && is_zip5(tok(e - 2).text)) {
    zip = tok(e - 2).text, zip4 = last, start = e - 2;
  } else if (is_zip5(last)) {
    zip = last, start = e - 1;
  } else if (last.size() == 10 && last[5] == '-' && is_zip5(last.substr(0, 5)) && is_zip4(last.substr(6))) {
    zip = last.substr(0, 5), zip4 = last.substr(6), start = e - 1;
  } else if (last.size() == 9 && all_digits_text(last)) {
    zip = last.substr(0, 5), zip4 = last.substr(5), start = e - 1;
  }
  if (start == npos) return;
  // A house number and a name must remain ("12345" alone is no ZIP), and a number right after
  // a unit designator is the unit ("Suite 10001").
  std::size_t words_before = 0;
  for (std::size_t i = 0; i < start; ++i) words_before += !tok(i).is_dash();
  if (words_before < 2) return;
  const Token& prev = tok(start - 1);
  if ((prev.is(kDesignator) && !prev.is(kStateCode)) || prev.is_hash()) return;
  a_.zip = std::string(zip);
  a_.zip4 = std::string(zip4);
  a_.rules.zip = AddressRule::zip_end;
  end_ = start;
}

// Dashes left after the ZIP separate parts the way commas do ("123 Main St - Phoenix").
void LineParser::drop_dashes() {
  auto& ts = line_.tokens;
  bool any = false;
  for (std::size_t i = 0; i < end_ && !any; ++i) any = ts[i].is_dash();
  if (!any) {
    ts.resize(end_);
    return;
  }
  std::size_t out = 0;
  std::uint16_t part = 0, last_part = 0;
  bool split = false;
  for (std::size_t i = 0; i < end_; ++i) {
    if (ts[i].is_dash()) {
      split = true;
      continue;
    }
    if (out > 0 && (ts[i].part != last_part || split)) ++part;
    last_part = ts[i].part;
    split = false;
    ts[out] = ts[i];
    ts[out].part = part;
    ++out;
  }
  ts.resize(out);
  end_ = out;
}

// A state: a code or a name (up to four words) at the end, before the ZIP, in one part.
void LineParser::take_state() {
  if (end_ == 0 || !tok(end_ - 1).is(kStateCode | kStateName | kStateLastWord)) return;
  char buf[64];
  for (std::size_t len = 4; len >= 1; --len) {
    if (end_ < number_end_ + 1 + len) continue;
    std::size_t i = end_ - len;
    if (!has_name_word(number_end_, i)) continue;  // "500 N Indiana": Indiana is the street
    if (tok(i).part != tok(end_ - 1).part) continue;
    std::size_t n = 0;
    bool fits = true;
    for (std::size_t k = i; k < end_ && fits; ++k) {
      std::string_view w = tok(k).text;
      if (n + w.size() + 1 > sizeof buf) fits = false;
      else {
        if (k > i) buf[n++] = ' ';
        for (char c : w) buf[n++] = c;
      }
    }
    if (!fits) continue;
    auto code = state_of_words(std::string_view(buf, n));
    if (!code) continue;
    if (len == 1 && !state_can_stand(i)) {
      if (tok(i).is(kDirectional))
        warn("'" + std::string(tok(i).text) + "' after the street read as a directional, not the state");
      return;
    }
    // A state's name is also a street's ("100 Old Virginia"): without a ZIP it is the state
    // only in its own part or after the street's end ("123 Main St Virginia").
    bool name = !(len == 1 && tok(i).is(kStateCode));
    if (name && a_.zip.empty() && tok(i - 1).part == tok(i).part && !street_ends_before(i)) return;
    a_.state = std::string(*code);
    a_.rules.state = len == 1 && tok(i).is(kStateCode) ? AddressRule::state_code : AddressRule::state_name;
    end_ = i;
    return;
  }
}

// Only where a state can stand: a code that is also a directional (NE) or a suffix (CT, KY,
// MT, PR, WY) is the state only when the line places it there.
bool LineParser::state_can_stand(std::size_t i) const {
  const Token& c = tok(i);
  const Token& prev = tok(i - 1);
  if (prev.is(kDesignator) || prev.is_hash()) return false;        // "Apt OK": the unit
  if (c.is(kFloor) && is_ordinal_text(prev.text)) return false;      // "3rd FL": a floor
  // FL is also Floor, but a floor needs its number: at the end of the line it is the state.
  if (!c.is(kDirectional | kSuffix | kUnitless)) return true;
  bool starts_part = prev.part != c.part;
  bool zip_agrees = !a_.zip.empty() && state_of_zip(a_.zip) == c.text;
  if (c.is(kDirectional)) {
    if (!starts_part && prev.is(kSuffix)) return false;               // "Peachtree St NE"
    if (starts_part && prev.part == tok(0).part) return false;        // "Peachtree Street, NE"
    return zip_agrees || starts_part || street_ends_before(i - 1);    // "..., Omaha, NE"
  }
  if (starts_part || zip_agrees || prev.is(kPrimarySuffix)) return true;  // "Hartford, CT"
  return street_ends_before(i - 1);                                   // "Main St Hartford CT"
}

// Whether the street's end (a suffix that ends streets, a unit, a numbered road) comes before
// token `i`, so that the words from there on can be a city and a state.
bool LineParser::street_ends_before(std::size_t i) const {
  for (std::size_t k = number_end_ + 1; k < i; ++k) {
    const Token& t = tok(k);
    if (t.is(kPrimarySuffix | kDesignator) || t.is_hash()) return true;
  }
  return false;
}

// Whether [b, e) holds a word that can be a street's name (not only directionals).
bool LineParser::has_name_word(std::size_t b, std::size_t e) const {
  for (std::size_t i = b; i < e; ++i)
    if (!tok(i).is(kDirectional)) return true;
  return false;
}

std::string_view LineParser::table_state() const {
  if (!a_.state.empty()) return a_.state;
  if (!a_.zip.empty()) return state_of_zip(a_.zip);
  return "AZ";  // neither said: the home table, used only where a street's end comes first
}

// The comma parts between the street's part and the state/ZIP: a lone directional right after
// the street is its post-directional ("1800 M Street, NW, Washington"); a part that begins
// with a unit is the unit; the last remaining part is the city.
void LineParser::read_parts_after_street() {
  std::uint16_t street_part = tok(0).part;
  street_end_ = 0;
  while (street_end_ < end_ && tok(street_end_).part == street_part) ++street_end_;
  std::size_t city_b = npos, city_e = npos;
  bool first = true;
  for (std::size_t b = street_end_; b < end_;) {
    std::size_t e = b;
    while (e < end_ && tok(e).part == tok(b).part) ++e;
    if (e - b == 1 && tok(b).is(kDirectional)) {
      // Right after the street: its post-directional. Anywhere else a directional is no city.
      if (first && post_dir_ == npos) post_dir_ = b;
      else warn("part '" + std::string(tok(b).text) + "' not placed");
    } else if (tok(e - 1).text == "COUNTY") {
      warn("part '" + words_text(b, e) + "' names a county; not used");
    } else {
      std::size_t j = read_units(b, e, AddressRule::unit_comma_part);
      if (j == b && e - b == 1 && bare_unit(tok(b))) {
        units_.push_back({{}, std::string(tok(b).text), AddressRule::unit_comma_part});
        j = e;
      }
      if (j < e) {
        if (city_b != npos) warn("part '" + words_text(city_b, city_e) + "' between the street and the city not placed");
        city_b = j, city_e = e;
      }
    }
    first = false;
    b = e;
  }
  if (city_b != npos) take_comma_city(city_b, city_e);
}

void LineParser::take_comma_city(std::size_t b, std::size_t e) {
  std::string_view st = table_state();
  if (has_places(st) && e - b <= 6) {
    std::string key;
    for (std::size_t k = b; k < e; ++k) append_place_word(key, tok(k).text);
    if (const PlaceRow* row = find_place(st, key)) {
      a_.city = row->name;  // the table's spelling: "SUN CITY W" -> "Sun City West"
      a_.rules.city = AddressRule::city_comma_part;
      return;
    }
  }
  a_.city = city_text(b, e);
  a_.rules.city = AddressRule::city_comma_part;
}

std::string LineParser::words_text(std::size_t b, std::size_t e) const {
  std::string out;
  for (std::size_t k = b; k < e; ++k) {
    if (!out.empty()) out.push_back(' ');
    out += title_case(tok(k).text);
  }
  return out;
}

// Title case, keeping the period of the abbreviations that begin city names ("St. Louis").
std::string LineParser::city_text(std::size_t b, std::size_t e) const {
  std::string out;
  for (std::size_t k = b; k < e; ++k) {
    const Token& t = tok(k);
    if (!out.empty()) out.push_back(' ');
    out += title_case(t.text);
    if (t.period && (t.text == "ST" || t.text == "STE" || t.text == "MT" || t.text == "FT")) out.push_back('.');
  }
  return out;
}

}  // namespace flowrun::normalizer::addr
