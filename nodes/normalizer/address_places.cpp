#include "nodes/normalizer/address_places.hpp"

#include <deque>

#include "nodes/normalizer/address_table.hpp"
#include "nodes/normalizer/address_words.hpp"

namespace flowrun::normalizer::addr {
namespace {

constexpr PlaceRow kPlaces[] = {
#include "nodes/normalizer/data/places_az.inc"
#include "nodes/normalizer/data/places_us.inc"
};

struct PlaceTables {
  std::deque<std::string> keys;         // the text the tables' views point into
  WordTable<const PlaceRow*> by_key{1024};  // "AZ|SUN CITY WEST" -> row
  WordTable<bool> last_words{512};      // "WEST": some place's key ends with it
  WordTable<bool> states{64};
};

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

const PlaceTables& places() {
  static const PlaceTables t = [] {
    PlaceTables p;
    auto add = [&](const PlaceRow& row, std::string_view text) {
      const std::string& key = p.keys.emplace_back(key_of_text(row.state, text));
      if (!p.by_key.find(key)) p.by_key[key] = &row;
      auto cut = key.find_last_of(" |");
      p.last_words[std::string_view(key).substr(cut + 1)] = true;
    };
    for (const auto& row : kPlaces) {
      p.states[row.state] = true;
      add(row, row.name);
      std::string_view rest = row.spellings;
      while (!rest.empty()) {
        auto bar = rest.find('|');
        add(row, rest.substr(0, bar));
        if (bar == std::string_view::npos) break;
        rest.remove_prefix(bar + 1);
      }
    }
    return p;
  }();
  return t;
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

std::string_view fold_word(std::string_view upper_word, const WordInfo* info) {
  return info && !info->place_key.empty() ? info->place_key : upper_word;
}

bool could_end_place(std::string_view folded_last_word) { return places().last_words.find(folded_last_word) != nullptr; }

const PlaceRow* find_place(std::string_view state, std::string_view key) {
  // Keys are "STATE|WORDS"; built in a small buffer instead of allocating per probe.
  char buf[160];
  if (state.size() + 1 + key.size() > sizeof buf) return nullptr;
  std::size_t n = 0;
  for (char c : state) buf[n++] = c;
  buf[n++] = '|';
  for (char c : key) buf[n++] = c;
  const PlaceRow* const* row = places().by_key.find(std::string_view(buf, n));
  return row ? *row : nullptr;
}

bool has_places(std::string_view state) { return places().states.find(state) != nullptr; }

}  // namespace flowrun::normalizer::addr
