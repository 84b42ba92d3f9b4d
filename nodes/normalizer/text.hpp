// Small ASCII text helpers shared by the address and number parsers. Raw data here is US
// addresses and numbers, so ASCII case rules are enough; other bytes pass through untouched.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flowrun::normalizer {

// The length of the space at s[i]: 1 for ASCII white space, 2 for a UTF-8 no-break space (C2 A0,
// common in scraped HTML text), 0 for anything else. What squish() and trim_space() count as space.
std::size_t space_at(std::string_view s, std::size_t i);
// `s` without the spaces at either end; no copy.
std::string_view trim_space(std::string_view s);
// Trims, turns tabs/newlines/NBSP into spaces and collapses runs of spaces ("MARYVALE  3").
std::string squish(std::string_view s);
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
// "QUEEN CREEK" -> "Queen Creek", "o'brien" -> "O'Brien", "paradise-valley" -> "Paradise-Valley".
std::string title_case(std::string_view s);
std::vector<std::string> split_words(std::string_view s);  // on spaces, no empties
std::vector<std::string> split_on(std::string_view s, char sep);  // trimmed parts, no empties
bool iequals(std::string_view a, std::string_view b);
bool has_digit(std::string_view s);
bool all_digits(std::string_view s);
// FNV-1a 64-bit as 16 lower-case hex digits: stable across runs, machines and compilers.
std::string stable_hash(std::string_view s);

}  // namespace flowrun::normalizer
