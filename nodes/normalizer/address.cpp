#include "nodes/normalizer/address.hpp"

#include <cctype>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "nodes/normalizer/numbers.hpp"
#include "nodes/normalizer/text.hpp"

namespace flowrun::norm {
namespace {

using Words = std::vector<std::string>;

// USPS Publication 28 suffixes that occur in Arizona addresses (upper-case spelling -> standard
// abbreviation as we print it).
const std::unordered_map<std::string, std::string>& suffixes() {
  static const std::unordered_map<std::string, std::string> m = [] {
    std::unordered_map<std::string, std::string> t;
    auto add = [&](std::initializer_list<const char*> spellings, const char* abbr) {
      for (const char* s : spellings) t[s] = abbr;
    };
    add({"STREET", "ST", "STR"}, "St");
    add({"AVENUE", "AVE", "AV", "AVN"}, "Ave");
    add({"ROAD", "RD"}, "Rd");
    add({"DRIVE", "DR", "DRV"}, "Dr");
    add({"LANE", "LN"}, "Ln");
    add({"BOULEVARD", "BLVD", "BLV"}, "Blvd");
    add({"COURT", "CT"}, "Ct");
    add({"PLACE", "PL"}, "Pl");
    add({"CIRCLE", "CIR", "CIRC"}, "Cir");
    add({"PARKWAY", "PKWY", "PKY"}, "Pkwy");
    add({"WAY", "WY"}, "Way");
    add({"TERRACE", "TER", "TERR"}, "Ter");
    add({"TRAIL", "TRL"}, "Trl");
    add({"HIGHWAY", "HWY"}, "Hwy");
    add({"LOOP", "LP"}, "Loop");
    add({"PLAZA", "PLZ"}, "Plz");
    add({"SQUARE", "SQ"}, "Sq");
    add({"ALLEY", "ALY"}, "Aly");
    add({"CROSSING", "XING"}, "Xing");
    add({"POINT", "PT"}, "Pt");
    add({"COVE", "CV"}, "Cv");
    add({"PASS"}, "Pass");
    add({"PATH"}, "Path");
    add({"RUN"}, "Run");
    add({"ROW"}, "Row");
    add({"WALK"}, "Walk");
    add({"EXPRESSWAY", "EXPY"}, "Expy");
    add({"FREEWAY", "FWY"}, "Fwy");
    return t;
  }();
  return m;
}

// Suffixes whose following number is part of the name ("Hwy 85"), not a unit.
bool numbered_road(const std::string& abbr) { return abbr == "Hwy" || abbr == "Fwy" || abbr == "Expy"; }

const std::unordered_map<std::string, std::string>& directionals() {
  static const std::unordered_map<std::string, std::string> m = {
      {"N", "N"},          {"NORTH", "N"},      {"S", "S"},          {"SOUTH", "S"},
      {"E", "E"},          {"EAST", "E"},       {"W", "W"},          {"WEST", "W"},
      {"NE", "NE"},        {"NORTHEAST", "NE"}, {"NW", "NW"},        {"NORTHWEST", "NW"},
      {"SE", "SE"},        {"SOUTHEAST", "SE"}, {"SW", "SW"},        {"SOUTHWEST", "SW"}};
  return m;
}

const std::unordered_set<std::string>& unit_designators() {
  static const std::unordered_set<std::string> s = {"APT", "APARTMENT", "UNIT", "STE", "SUITE",
                                                    "SPC", "SPACE", "BLDG", "BUILDING", "RM",
                                                    "ROOM", "TRLR", "#"};
  return s;
}

const std::unordered_map<std::string, std::string>& states() {
  static const std::unordered_map<std::string, std::string> m = [] {
    std::unordered_map<std::string, std::string> t;
    const char* table[][2] = {
        {"ALABAMA", "AL"}, {"ALASKA", "AK"}, {"ARIZONA", "AZ"}, {"ARKANSAS", "AR"},
        {"CALIFORNIA", "CA"}, {"COLORADO", "CO"}, {"CONNECTICUT", "CT"}, {"DELAWARE", "DE"},
        {"FLORIDA", "FL"}, {"GEORGIA", "GA"}, {"HAWAII", "HI"}, {"IDAHO", "ID"},
        {"ILLINOIS", "IL"}, {"INDIANA", "IN"}, {"IOWA", "IA"}, {"KANSAS", "KS"},
        {"KENTUCKY", "KY"}, {"LOUISIANA", "LA"}, {"MAINE", "ME"}, {"MARYLAND", "MD"},
        {"MASSACHUSETTS", "MA"}, {"MICHIGAN", "MI"}, {"MINNESOTA", "MN"}, {"MISSISSIPPI", "MS"},
        {"MISSOURI", "MO"}, {"MONTANA", "MT"}, {"NEBRASKA", "NE"}, {"NEVADA", "NV"},
        {"NEW HAMPSHIRE", "NH"}, {"NEW JERSEY", "NJ"}, {"NEW MEXICO", "NM"}, {"NEW YORK", "NY"},
        {"NORTH CAROLINA", "NC"}, {"NORTH DAKOTA", "ND"}, {"OHIO", "OH"}, {"OKLAHOMA", "OK"},
        {"OREGON", "OR"}, {"PENNSYLVANIA", "PA"}, {"RHODE ISLAND", "RI"},
        {"SOUTH CAROLINA", "SC"}, {"SOUTH DAKOTA", "SD"}, {"TENNESSEE", "TN"}, {"TEXAS", "TX"},
        {"UTAH", "UT"}, {"VERMONT", "VT"}, {"VIRGINIA", "VA"}, {"WASHINGTON", "WA"},
        {"WEST VIRGINIA", "WV"}, {"WISCONSIN", "WI"}, {"WYOMING", "WY"},
        {"DISTRICT OF COLUMBIA", "DC"}, {"PUERTO RICO", "PR"},
        // Old-style abbreviations still seen in county data.
        {"ARIZ", "AZ"}, {"CALIF", "CA"}, {"CAL", "CA"}, {"COLO", "CO"}, {"NEV", "NV"},
        {"N MEX", "NM"}, {"N MEXICO", "NM"}, {"TEX", "TX"}, {"ORE", "OR"}, {"WASH", "WA"}};
    for (auto& row : table) {
      t[row[0]] = row[1];
      t[row[1]] = row[1];
    }
    return t;
  }();
  return m;
}

// Upper-case without the punctuation people put after abbreviations ("St." "N.").
std::string key_of(std::string_view w) {
  std::string k = to_upper(w);
  while (!k.empty() && (k.back() == '.' || k.back() == ',')) k.pop_back();
  return k;
}

bool is_suffix(const std::string& w) { return suffixes().count(key_of(w)) > 0; }
bool is_directional(const std::string& w) { return directionals().count(key_of(w)) > 0; }
bool is_designator(const std::string& w) { return unit_designators().count(key_of(w)) > 0; }

bool is_ordinal(const std::string& k) {  // k is upper-case
  if (k.size() < 3) return false;
  std::string tail = k.substr(k.size() - 2);
  return all_digits(k.substr(0, k.size() - 2)) &&
         (tail == "ST" || tail == "ND" || tail == "RD" || tail == "TH");
}

// A bare trailing token the assessor appends as a unit ("... RD 1", "... ST 4B").
bool looks_like_unit(const std::string& w) {
  std::string k = key_of(w);
  if (k.empty() || k.size() > 6) return false;
  if (is_ordinal(k)) return false;
  if (has_digit(k)) {
    for (char c : k)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    return true;
  }
  return k.size() == 1 && std::isalpha(static_cast<unsigned char>(k[0])) && !is_directional(k);
}

std::string format_name_word(const std::string& w) {
  std::string k = key_of(w);
  if (is_ordinal(k)) return k.substr(0, k.size() - 2) + to_lower(k.substr(k.size() - 2));
  if (has_digit(k) || k.size() == 1) return k;
  return title_case(k);
}

std::string join(const Words& w, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to && i < w.size(); ++i) {
    if (!out.empty()) out.push_back(' ');
    out += w[i];
  }
  return out;
}

// Pops a trailing ZIP (and +4) and then a state off `words`. A lone state word is only taken
// when a ZIP came with it or `state_alone` says the words are their own comma part, so
// "123 Maple Ct" never loses "Ct" to Connecticut.
bool take_state_zip(Words& words, Address& a, bool state_alone) {
  bool took_zip = false;
  auto n = words.size();
  if (n >= 3 && all_digits(words[n - 1]) && words[n - 1].size() == 4 && words[n - 2] == "-" &&
      words[n - 3].size() == 5 && all_digits(words[n - 3])) {
    a.zip = words[n - 3];
    a.zip4 = words[n - 1];
    words.resize(n - 3);
    took_zip = true;
  } else if (n >= 2 && words[n - 1].size() == 5 && words[n - 1][0] == '-' &&
             all_digits(words[n - 1].substr(1)) && words[n - 2].size() == 5 &&
             all_digits(words[n - 2])) {
    a.zip = words[n - 2];
    a.zip4 = words[n - 1].substr(1);
    words.resize(n - 2);
    took_zip = true;
  } else if (n >= 1) {
    if (auto z = parse_zip(words[n - 1]); z && has_digit(words[n - 1]) && words[n - 1].size() >= 5) {
      a.zip = std::string(z->zip5);
      a.zip4 = std::string(z->zip4);
      words.resize(n - 1);
      took_zip = true;
    }
  }
  if (!took_zip && !state_alone) return false;
  n = words.size();
  if (n >= 2) {
    if (auto code = state_code(key_of(words[n - 2]) + " " + key_of(words[n - 1]))) {
      a.state = *code;
      words.resize(n - 2);
      return true;
    }
  }
  if (n >= 1) {
    if (auto code = state_code(words[n - 1])) {
      a.state = *code;
      words.resize(n - 1);
      return true;
    }
  }
  return took_zip;
}

// Splits the street line into number, pre-directional, name, suffix, post-directional and unit.
// With `city_tail`, words after the suffix that are not a unit are the city (one-line addresses
// without commas, "123 Main St Phoenix AZ 85001").
void parse_street(Words w, Address& a, const std::string& original, bool city_tail) {
  if (w.empty()) throw AddressError("address is empty");
  if (!std::isdigit(static_cast<unsigned char>(w[0][0])))
    throw AddressError("address '" + original + "' has no house number");

  // Unit: "#4B", "# 4B", "Apt 4B", "Unit B" anywhere after the street name.
  std::string unit, tail_city;
  for (std::size_t i = 2; i < w.size(); ++i) {
    const std::string& t = w[i];
    bool hash = t[0] == '#';
    if (!(hash || is_designator(t))) continue;
    std::size_t next = i + 1;
    if (hash && t.size() > 1) {
      unit = t.substr(1);
    } else if (next < w.size()) {
      unit = w[next];
      // "Apt #4" / "Unit # 4"
      if (unit == "#" && next + 1 < w.size()) unit = w[++next];
      else if (unit[0] == '#') unit = unit.substr(1);
      ++next;
    } else {
      continue;  // a trailing "Unit" with no value: leave it in the name
    }
    if (next < w.size()) {
      if (city_tail) tail_city = join(w, next, w.size());
      else unit += " " + join(w, next, w.size());
    }
    w.resize(i);
    break;
  }

  // One-line address: the city follows the last suffix.
  if (city_tail && unit.empty()) {
    for (std::size_t i = w.size(); i-- > 2;) {
      if (!is_suffix(w[i])) continue;
      std::size_t j = i + 1;
      if (j < w.size() && is_directional(w[j]) && j + 1 < w.size()) ++j;  // post-directional
      if (j < w.size() && looks_like_unit(w[j])) unit = w[j++];
      if (j < w.size()) {
        tail_city = join(w, j, w.size());
        w.resize(j);
        if (!unit.empty()) w.pop_back();
      }
      break;
    }
  }

  // Bare trailing unit after the suffix, the assessor's "7606 W INDIAN SCHOOL RD 1".
  if (unit.empty() && w.size() >= 4 && looks_like_unit(w.back())) {
    const std::string& before = w[w.size() - 2];
    if (is_suffix(before) && !numbered_road(suffixes().at(key_of(before)))) {
      unit = w.back();
      w.pop_back();
    } else if (w.size() >= 5 && is_directional(before) && is_suffix(w[w.size() - 3])) {
      unit = w.back();  // "... DR S 12"
      w.pop_back();
    }
  }

  std::string number = key_of(w[0]);
  std::size_t first = 1, last = w.size();  // name words are [first, last)
  std::string post_dir, suffix;
  if (last - first >= 3 && is_directional(w[last - 1]) && is_suffix(w[last - 2])) {
    post_dir = directionals().at(key_of(w[last - 1]));
    --last;
  }
  if (last - first >= 2 && is_suffix(w[last - 1])) {
    suffix = suffixes().at(key_of(w[last - 1]));
    --last;
  }
  std::string pre_dir;
  if (last - first >= 2 && is_directional(w[first])) {
    pre_dir = directionals().at(key_of(w[first]));
    ++first;
  }
  std::string name;
  bool has_alnum = false;
  for (std::size_t i = first; i < last; ++i) {
    std::string word = format_name_word(w[i]);
    for (char c : word)
      if (std::isalnum(static_cast<unsigned char>(c))) has_alnum = true;
    if (!name.empty()) name.push_back(' ');
    name += word;
  }
  if (!has_alnum) throw AddressError("address '" + original + "' has no street name");

  std::string street = number;
  for (const std::string* part : {&pre_dir, &name, &suffix, &post_dir})
    if (!part->empty()) street += " " + *part;
  a.street = std::move(street);
  if (!unit.empty()) a.unit = normalize_unit(unit);
  if (!tail_city.empty() && a.city.empty()) a.city = normalize_city(tail_city);
}

bool unit_part(const std::string& part) {
  Words w = split_words(part);
  return !w.empty() && (w[0][0] == '#' || (is_designator(w[0]) && w.size() >= 2));
}

}  // namespace

std::optional<std::string> state_code(std::string_view s) {
  std::string k = key_of(squish(s));
  // "N.M." -> "NM", "N. Mex." -> "N MEX"
  std::string dotless;
  for (char c : k)
    if (c != '.') dotless.push_back(c);
  auto it = states().find(squish(dotless));
  if (it == states().end()) return std::nullopt;
  return it->second;
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
  Words w = split_words(squish(s));
  std::size_t i = 0;
  while (i < w.size() && (is_designator(w[i]) || w[i] == "#")) ++i;
  std::string out = to_upper(join(w, i, w.size()));
  while (!out.empty() && out[0] == '#') out.erase(0, 1);
  return squish(out);
}

Address parse_address(std::string_view text) {
  std::string s = squish(text);
  if (s.empty()) throw AddressError("address is empty");
  Words parts = split_on(s, ',');
  if (parts.empty()) throw AddressError("address is empty");
  Address a;
  if (parts.size() == 1) {
    Words w = split_words(parts[0]);
    // Take a trailing state/ZIP only if a house number and a name remain ("12345" is no ZIP).
    Words trimmed = w;
    Address with_tail;
    bool tail = take_state_zip(trimmed, with_tail, false) && trimmed.size() >= 2;
    if (tail) {
      w = std::move(trimmed);
      a = std::move(with_tail);
    }
    parse_street(std::move(w), a, s, tail);
    return a;
  }
  // "street, [unit,] city, state zip" -- read the tail from the end.
  Words rest(parts.begin() + 1, parts.end());
  {
    Words w = split_words(rest.back());
    bool took = take_state_zip(w, a, true);
    if (took) {
      rest.pop_back();
      if (!w.empty()) rest.push_back(join(w, 0, w.size()));  // "Phoenix AZ 85001" -> "Phoenix"
      else if (a.state.empty() && !rest.empty()) {
        // "..., AZ, 85001": the state may be its own part before the ZIP.
        Words sw = split_words(rest.back());
        if (auto code = state_code(join(sw, 0, sw.size()))) {
          a.state = *code;
          rest.pop_back();
        }
      }
    }
  }
  for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
    if (unit_part(*it)) {
      if (a.unit.empty()) a.unit = normalize_unit(*it);
    } else if (a.city.empty()) {
      a.city = normalize_city(*it);
    }
  }
  parse_street(split_words(parts[0]), a, s, false);
  return a;
}

}  // namespace flowrun::norm
