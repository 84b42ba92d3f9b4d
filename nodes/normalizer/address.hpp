// US street address parsing: "4027 N 55TH AVE, PHOENIX, AZ 85031" -> {street "4027 N 55th Ave",
// city "Phoenix", state "AZ", zip "85031"}. The line is read from both ends (ZIP, state and city
// from the end; house number, directionals, name, suffix and unit from the front) with USPS
// Publication 28 tables and a table of places; docs/normalizing.md gives the order and the rules.
// Nothing is guessed: a part that is not in the text stays empty, and a part that cannot be
// placed stays in the street with a warning that names the ambiguity.
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace flowrun::normalizer {

// Which rule produced a part, so that a wrong answer can be traced to the rule that gave it.
enum class AddressRule : std::uint8_t {
  none,
  // house number
  number_digits,         // 123, 123A, 12-14
  number_fraction,       // 123 1/2
  number_grid,           // N165 W2123 (Wisconsin grid)
  number_letter_prefix,  // T703
  number_spelled,        // One
  // street: how its end was found
  street_suffix,         // ended by a Pub 28 suffix (the last one that ends streets)
  street_numbered_road,  // County Road 43, Highway 71 Business, I 17
  street_before_unit,    // ended where a unit designator or # begins
  street_before_city,    // ended where a known place begins
  street_whole,          // nothing marked its end: every word is the street
  // unit
  unit_designator,       // APT 4B, LOT 163, SP#348, Floor 3
  unit_pound,            // #102, # 7
  unit_floor_ordinal,    // 3rd Floor
  unit_unitless,         // REAR, BSMT, PH
  unit_after_suffix,     // the assessor's bare trailing "... RD 1"
  unit_comma_part,       // a comma part of its own: ", Unit 5,"
  // city
  city_comma_part,       // a comma part of its own
  city_place_table,      // no comma: a place of the state's table ends the line
  city_after_street,     // no comma: the words between the street's end and the state/ZIP
  // state
  state_code,            // AZ
  state_name,            // Arizona, ARIZ
  // zip
  zip_end,               // the line's last number: 85001, 85001-1234, 850011234, 85001 1234
};

struct AddressRules {
  AddressRule number = AddressRule::none, street = AddressRule::none, unit = AddressRule::none,
              city = AddressRule::none, state = AddressRule::none, zip = AddressRule::none;
};

struct Address {
  std::string street, unit, city, state, zip, zip4;  // "" = unknown
  AddressRules rules;
  // Each names an ambiguity the tables could not resolve and what was done about it, e.g.
  // "address: 'Foo' after the street suffix could not be placed; kept in the street".
  std::vector<std::string> warnings;
};

// "digits", "suffix", "place_table" ... (the enumerator's name without its part prefix).
std::string_view rule_name(AddressRule r);
// "number=digits street=suffix unit=designator city=comma_part state=code zip=end", parts
// that were not found left out: the provenance of a parsed line.
std::string describe_rules(const AddressRules& r);

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
// Strips "#", "Unit", "Apt", "LOT", "SP#" ... : "Apt 4b" -> "4B", "3rd Floor" -> "3".
std::string normalize_unit(std::string_view s);

}  // namespace flowrun::normalizer
