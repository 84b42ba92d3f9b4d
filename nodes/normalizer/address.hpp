// US street address normalisation: "4027 N 55TH AVE, PHOENIX, AZ 85031" ->
// {street "4027 N 55th Ave", city "Phoenix", state "AZ", zip "85031"}. USPS-style abbreviations
// for directionals and street suffixes, title case for names, lower-case ordinals, units split
// off ("#102", "Unit B", "Apt 4B", a bare trailing number after the suffix as the assessor
// writes it). Nothing is guessed: a part that is not in the text stays empty.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace flowrun::norm {

struct Address {
  std::string street, unit, city, state, zip, zip4;  // "" = unknown
};

// Thrown for text that is not a street address; `what()` says why ("address is empty",
// "address 'Main Street' has no house number").
struct AddressError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Parses a full one-line address or just its street line. Throws AddressError when no street
// (house number + name) can be found.
Address parse_address(std::string_view text);

// Each part on its own (for sources with separate columns). Empty input gives "".
std::string normalize_city(std::string_view s);
// "Arizona", "ARIZ", "az", "Ariz." -> "AZ"; unknown text is upper-cased and returned as is so
// that the validator can flag it (never replaced by a guess).
std::string normalize_state(std::string_view s);
// Recognised US state or territory name/abbreviation -> its two-letter code.
std::optional<std::string> state_code(std::string_view s);
// Strips "#", "Unit", "Apt" ... : "Apt 4b" -> "4B".
std::string normalize_unit(std::string_view s);

}  // namespace flowrun::norm
