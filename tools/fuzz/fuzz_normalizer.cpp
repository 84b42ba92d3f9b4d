// Fuzz target: the normalizer's parsers (numbers, money, beds/baths, area and their ranges, year, bool, ZIP,
// street addresses and their parts). Each takes untrusted text from listing pages and CSVs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nodes/normalizer/address.hpp"
#include "nodes/normalizer/numbers.hpp"

using namespace flowrun::normalizer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  (void)parse_number(s);
  (void)parse_int(s);
  (void)parse_money(s);
  (void)parse_beds(s);
  (void)parse_baths(s);
  (void)parse_area_sqft(s);
  (void)parse_area_sqft(s, AreaUnit::acres);
  // Ranges: both ends read, the low one never above the high one.
  if (auto m = parse_money_span(s); m && m->min > m->max) __builtin_trap();
  if (auto b = parse_beds_span(s); b && b->min > b->max) __builtin_trap();
  if (auto b = parse_baths_span(s); b && b->min > b->max) __builtin_trap();
  if (auto a = parse_area_span(s, AreaUnit::acres); a && a->min > a->max) __builtin_trap();
  (void)says_monthly(s);
  (void)parse_year(s);
  (void)parse_bool(s);
  if (auto z = parse_zip(s)) {
    // The views must point into the input.
    if (!z->zip5.empty() && (z->zip5.data() < s.data() || z->zip5.data() + z->zip5.size() > s.data() + s.size()))
      __builtin_trap();
  }
  try {
    (void)parse_address(s);
  } catch (const AddressError&) {
  }
  (void)normalize_city(s);
  (void)normalize_state(s);
  (void)state_code(s);
  (void)normalize_unit(s);
  return 0;
}
