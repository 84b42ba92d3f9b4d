// The address parser's internals: address_parser.cpp reads the line's end and its comma parts,
// address_street.cpp the house number and the street's own part, address_units.cpp the
// secondary units, address_format.cpp prints the street. Token indices throughout: the line is
// tokenised once and every step narrows [begin, end) ranges of it.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/normalizer/address.hpp"
#include "nodes/normalizer/address_tokens.hpp"

namespace flowrun::normalizer::addr {

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

struct UnitPart {
  std::string_view designator;  // "APT", "REAR"; empty for "#" and bare units
  std::string value;            // "4B"; empty for a unitless designator alone
  AddressRule rule = AddressRule::none;
};

// Where a numbered road's words are: [begin, end) ("County Road 43 Business").
struct RoadSpan {
  std::size_t begin = npos, end = npos;
  bool found() const { return begin != npos; }
};

class LineParser {
 public:
  explicit LineParser(std::string_view text) : text_(text) {}
  Address run();

 private:
  // ---- the line's end (address_parser.cpp)
  void take_country();
  void take_zip();
  void drop_dashes();
  void take_state();
  bool state_can_stand(std::size_t i) const;
  bool street_ends_before(std::size_t i) const;
  bool has_name_word(std::size_t b, std::size_t e) const;
  void read_parts_after_street();
  void take_comma_city(std::size_t b, std::size_t e);
  std::string_view table_state() const;

  // ---- the street part (address_street.cpp)
  bool number_starts_at(std::size_t i) const;
  void skip_parts_before_street();
  void take_house_number();
  void split_street_part();
  std::size_t take_table_city(std::size_t b, std::size_t e);
  std::size_t read_after_street_end(std::size_t j, std::size_t e, bool city_may_follow);
  void take_structural_city(std::size_t b, std::size_t e);
  std::size_t last_suffix(std::size_t b, std::size_t e, bool* primary) const;
  RoadSpan find_road(std::size_t b, std::size_t e) const;
  bool city_can_start_at(std::size_t k) const;
  void format_street(std::size_t b, std::size_t e);
  void append_name_word(std::string& out, std::size_t i, const RoadSpan& road) const;

  // ---- units (address_units.cpp)
  std::size_t unit_at(std::size_t i, std::size_t e, UnitPart* out, bool unitless_ok) const;
  std::size_t first_unit(std::size_t b, std::size_t e) const;
  std::size_t read_units(std::size_t i, std::size_t e, AddressRule rule);
  bool unit_value(const Token& t) const;
  bool bare_unit(const Token& t) const;
  void format_unit();

  // ---- helpers
  const Token& tok(std::size_t i) const { return line_.tokens[i]; }
  std::string words_text(std::size_t b, std::size_t e) const;  // "North Palm Beach" for messages
  std::string city_text(std::size_t b, std::size_t e) const;
  void warn(std::string message) { a_.warnings.push_back("address: " + std::move(message)); }
  [[noreturn]] void fail(const char* why) const;

  std::string_view text_;
  TokenLine line_;
  Address a_;
  std::size_t end_ = 0;           // tokens [0, end_) are not yet taken by ZIP, state or country
  std::size_t number_end_ = 0;    // first token after the house number
  std::string number_;            // the house number as printed
  std::size_t street_end_ = 0;    // end of the street's own comma part
  std::size_t post_dir_ = npos;   // token of the post-directional, wherever it stood
  std::size_t leftover_b_ = 0, leftover_e_ = 0;  // words that could not be placed
  bool dir_starts_city_ = false;  // a spelled-out directional was read as the city's first word
  std::vector<UnitPart> units_;
};

}  // namespace flowrun::normalizer::addr
