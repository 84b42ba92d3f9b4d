// The word tables the address parser is driven by: USPS Publication 28 street suffixes (C1),
// secondary unit designators (C2), directionals, state names and codes, numbered-road words,
// spelled-out house numbers, and the ZIP-prefix -> state table. One lookup per token gives every
// role a word can play; the parser decides between roles by position, never by guessing.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace flowrun::normalizer::addr {

enum WordFlag : std::uint32_t {
  kSuffix = 1u << 0,          // Pub 28 C1 street suffix (any spelling)
  kPrimarySuffix = 1u << 1,   // a suffix that ends streets, rarely a city word (St, Ave, Rd ...)
  kDirectional = 1u << 2,     // N S E W NE NW SE SW, abbreviated or spelled out
  kDirSpelled = 1u << 3,      // NORTH, SOUTHWEST ...
  kDesignator = 1u << 4,      // Pub 28 C2 designator that needs a number (APT, STE, LOT, SPC ...)
  kUnitless = 1u << 5,        // Pub 28 C2 designator without a number (REAR, BSMT, PH ...)
  kFloor = 1u << 6,           // FL, FLR, FLOOR ("3rd Floor")
  kStateCode = 1u << 7,       // two-letter USPS code
  kStateName = 1u << 8,       // one-word state name or old abbreviation (ARIZONA, ARIZ)
  kRoadWord = 1u << 9,        // HIGHWAY, ROUTE, INTERSTATE ... + number is a road name
  kRoadQualified = 1u << 10,  // ROAD, RD: a road name only after a qualifier (COUNTY ROAD 43)
  kRoadQualifier = 1u << 11,  // COUNTY, STATE, FOREST ...
  kRouteTag = 1u << 12,       // BUSINESS, BYPASS, ALT ... after a route number
  kSpelledNumber = 1u << 13,  // ONE .. TWENTY, THIRTY .. NINETY as a house number
  kCountry = 1u << 14,        // USA
  kUpperName = 1u << 15,      // printed upper-case inside a street name (US, SR, CR, FM)
  kStateLastWord = 1u << 16,  // last word of a multi-word state name (YORK, CAROLINA)
  kSpelledOrdinal = 1u << 17, // FIRST .. TENTH, GROUND ("Second Floor")
};

struct WordInfo {
  std::uint32_t flags = 0;
  std::string_view suffix;       // standard abbreviation as printed ("St", "Pkwy")
  std::string_view directional;  // "N", "NE"
  std::string_view designator;   // standard designator ("APT", "STE", "REAR")
  std::string_view state;        // two-letter code when kStateCode / kStateName
  std::string_view place_key;    // spelling used in place-table keys ("CRK", "NORTH", "ST")
  std::string_view number;       // a spelled-out floor's value ("SECOND" -> "2", "GROUND")

  bool is(std::uint32_t f) const { return (flags & f) != 0; }
};

// `upper` is one upper-case word without periods. nullptr when the word plays no role.
const WordInfo* lookup_word(std::string_view upper);

// Multi-word state names ("NEW YORK", "N MEX", "DISTRICT OF COLUMBIA") and everything
// lookup_word knows as a state, by upper-case words joined with single spaces.
std::optional<std::string_view> state_of_words(std::string_view upper_joined);

// The state a ZIP's first three digits belong to ("85031" -> "AZ"); "" when unknown.
std::string_view state_of_zip(std::string_view zip5);

}  // namespace flowrun::normalizer::addr
