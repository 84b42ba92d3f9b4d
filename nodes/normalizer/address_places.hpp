// The place tables (data/places_az.inc, data/places_us.inc) the address parser uses to find a
// city that no comma marks. Keys fold the spellings people use into one form, so the tables
// list a place once: "QUEEN CRK", "Queen Creek" and "QUEEN-CREEK" meet, as do "Saint Louis"
// and "St. Louis", "W Palm Beach" and "West Palm Beach".
#pragma once
#include <string>
#include <string_view>

namespace flowrun::normalizer::addr {

struct PlaceRow {
  const char* state;      // "AZ"
  const char* name;       // as printed: "Sun City West"
  const char* county;     // "Maricopa" ("" outside Arizona)
  const char* kind;       // incorporated | CDP | postal | city | island
  const char* spellings;  // other spellings, '|'-separated
};

// Appends one upper-case word (periods already removed) to a place key in its folded form:
// Pub 28 suffixes as their standard abbreviation, directionals spelled out, SAINT as ST,
// hyphens as spaces, apostrophes dropped, "&" as AND.
void append_place_word(std::string& key, std::string_view upper_word);

struct WordInfo;
// The folded form of a word with no hyphen, apostrophe or '&' (`info` = lookup_word(word)).
std::string_view fold_word(std::string_view upper_word, const WordInfo* info);
// Whether some place's folded key ends with this folded word: the cheap test before probing.
bool could_end_place(std::string_view folded_last_word);

// The place whose folded key is `key` in `state`; nullptr when none.
const PlaceRow* find_place(std::string_view state, std::string_view key);

// Whether `state` has a table (only then can a city be recognised without a comma).
bool has_places(std::string_view state);

}  // namespace flowrun::normalizer::addr
