#include "nodes/normalizer/address_places.hpp"

#include <unordered_map>
#include <unordered_set>

#include "nodes/normalizer/address_words.hpp"

namespace flowrun::norm::addr {
namespace {

constexpr PlaceRow kPlaces[] = {
#include "nodes/normalizer/data/places_az.inc"
#include "nodes/normalizer/data/places_us.inc"
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using PlaceMap = std::unordered_map<std::string, const PlaceRow*, StringHash, std::equal_to<>>;

void append_folded(std::string& key, std::string_view part) {
  if (part.empty()) return;
  if (!key.empty() && key.back() != '|') key.push_back(' ');
  if (part == "&") {
    key += "AND";
    return;
  }
  const WordInfo* info = lookup_word(part);
  key += info && !info->place_key.empty() ? info->place_key : part;
}

// "St. Louis" -> "ST LOUIS": upper-case, periods and apostrophes dropped, then each word folded.
std::string key_of_text(std::string_view state, std::string_view text) {
  std::string upper;
  for (char c : text) {
    if (c == '.' || c == '\'') continue;
    upper.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
  }
  std::string key(state);
  key.push_back('|');
  std::size_t i = 0;
  while (i < upper.size()) {
    while (i < upper.size() && upper[i] == ' ') ++i;
    std::size_t j = i;
    while (j < upper.size() && upper[j] != ' ') ++j;
    if (j > i) append_place_word(key, std::string_view(upper).substr(i, j - i));
    i = j;
  }
  return key;
}

const PlaceMap& places() {
  static const PlaceMap m = [] {
    PlaceMap t;
    for (const auto& row : kPlaces) {
      t.emplace(key_of_text(row.state, row.name), &row);
      std::string_view rest = row.spellings;
      while (!rest.empty()) {
        auto bar = rest.find('|');
        t.emplace(key_of_text(row.state, rest.substr(0, bar)), &row);
        if (bar == std::string_view::npos) break;
        rest.remove_prefix(bar + 1);
      }
    }
    return t;
  }();
  return m;
}

const std::unordered_set<std::string_view>& states_with_places() {
  static const std::unordered_set<std::string_view> s = [] {
    std::unordered_set<std::string_view> t;
    for (const auto& row : kPlaces) t.insert(row.state);
    return t;
  }();
  return s;
}

}  // namespace

void append_place_word(std::string& key, std::string_view word) {
  // Hyphenated names ("DEWEY-HUMBOLDT", "AK-CHIN") fold as separate words.
  std::size_t i = 0;
  while (i <= word.size()) {
    std::size_t j = word.find('-', i);
    if (j == std::string_view::npos) j = word.size();
    std::string_view part = word.substr(i, j - i);
    if (part.find('\'') == std::string_view::npos) {
      append_folded(key, part);
    } else {
      std::string clean;
      for (char c : part)
        if (c != '\'') clean.push_back(c);
      append_folded(key, clean);
    }
    i = j + 1;
  }
}

const PlaceRow* find_place(std::string_view state, std::string_view key) {
  const auto& m = places();
  // Keys are "STATE|WORDS"; build it in a small buffer instead of allocating per probe.
  char buf[128];
  if (state.size() + 1 + key.size() > sizeof buf) return nullptr;
  std::size_t n = 0;
  for (char c : state) buf[n++] = c;
  buf[n++] = '|';
  for (char c : key) buf[n++] = c;
  auto it = m.find(std::string_view(buf, n));
  return it == m.end() ? nullptr : it->second;
}

bool has_places(std::string_view state) { return states_with_places().count(state) > 0; }

}  // namespace flowrun::norm::addr
