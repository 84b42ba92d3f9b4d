// Parsers for the numbers people and counties write: "$1.5M", "Price: $450K", "2 full, 1 half",
// "0.25 acres", "928544      ", "na". Each returns nullopt when the text holds no usable value,
// so a missing value stays null instead of becoming 0. Listing sites also write ranges ("0-2",
// "Studio-2 Beds", "529-1,225", "$3,834 - $4,002"): the *_span parsers keep both ends; the
// single-value parsers give nullopt for a range rather than collapse it to one end.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace flowrun::normalizer {

// First number in the text: digits with thousands commas and one decimal point, optional sign.
// Blank, "na", "n/a", "none", "null", "-" give nullopt.
std::optional<double> parse_number(std::string_view s);
// parse_number rounded to an integer ("12.0" -> 12; "12.6" -> 13).
std::optional<std::int64_t> parse_int(std::string_view s);

// A value as written: one number (min == max) or a range with both ends, min <= max. A range is
// NUMBER, a separator ("-", en or em dash, "to"), NUMBER; a "range" whose second end is smaller
// ("$450,000 - $10,000 off") is no range, only its first number counts.
template <class T>
struct Span {
  T min{}, max{};
  bool exact() const { return min == max; }
  bool operator==(const Span&) const = default;
};

// Money with its period: `monthly` when the text marks a monthly amount ("$1,850/mo", "per month",
// "monthly"), which makes it a rent and never a sale price.
struct MoneySpan : Span<double> {
  bool monthly = false;
};

// "/mo", "/month", "per month", "per mo", "monthly" (any case).
bool says_monthly(std::string_view s);

// US dollars. k/K/thousand = x1e3, m/M/mm/mil/million = x1e6, b/bn/billion = x1e9 when written
// right after the number. Any other currency (EUR, €, £, GBP, CAD, C$ ...) gives nullopt: the
// value is not in dollars and we never convert on a guess. Text without digits ("Price Upon
// Request") gives nullopt.
std::optional<double> parse_money(std::string_view s);
// As parse_money, keeping a range ("$3,834 - $4,002", "$850k-$900k"; "$1.2 - 1.5M" gives both
// ends the multiplier) and the monthly mark.
std::optional<MoneySpan> parse_money_span(std::string_view s);

// "3 beds", "4 bd", "4 BR", "Bedrooms: 2", "3" -> count; "Studio" -> 0. Fractions give nullopt.
std::optional<std::int64_t> parse_beds(std::string_view s);
// "0-2", "Studio-2 Beds" (0-2), "1 to 3 bd", or one count.
std::optional<Span<std::int64_t>> parse_beds_span(std::string_view s);

// "2.5 bathrooms", "3.5 BA", "1.75" -> number; "2 full, 1 half" -> 2.5 (half = 0.5,
// three-quarter = 0.75, quarter = 0.25).
std::optional<double> parse_baths(std::string_view s);
// "1-2 Baths", "1 - 1.5 ba", or one value as parse_baths reads it.
std::optional<Span<double>> parse_baths_span(std::string_view s);

enum class AreaUnit { sqft, acres, sqm };
// Area in square feet, rounded to a whole number: "1,850 sqft", "2,200 sq ft", "850 sq. ft.",
// "3,500 SF", "0.25 acres" (x43,560), "120 m2" (x10.7639). A bare number takes `bare_unit`.
std::optional<std::int64_t> parse_area_sqft(std::string_view s, AreaUnit bare_unit = AreaUnit::sqft);
// "529-1,225", "476-498 sqft", "476 sqft - 498 sqft", "0.25-0.5 acres": both ends in one unit
// (the one written last), or one area.
std::optional<Span<std::int64_t>> parse_area_span(std::string_view s, AreaUnit bare_unit = AreaUnit::sqft);

// A four-digit year 1000-2999 ("1978", " 1978 ", 1978.0); 0 and anything else give nullopt.
std::optional<int> parse_year(std::string_view s);

// true/false, yes/no, y/n, 1/0, t/f (any case).
std::optional<bool> parse_bool(std::string_view s);

// Five-digit ZIP with an optional +4: "85001", "85001-1234", "85001 - 1234", "850011234".
struct Zip {
  std::string_view zip5, zip4;  // views into the input
};
std::optional<Zip> parse_zip(std::string_view s);

}  // namespace flowrun::normalizer
