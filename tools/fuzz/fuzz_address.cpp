// Fuzz target: the address parser (issue 19) on any bytes, with the promises its callers rely
// on checked for every input: only AddressError escapes; a parsed street is non-empty and has
// no stray spaces; the state is two capitals, the ZIP five digits and the +4 four, each only
// as the line gave it; every warning is an "address: " sentence; the same line parses the same
// way twice. The part normalisers for separate columns must not crash either.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nodes/normalizer/address.hpp"

using namespace flowrun::normalizer;

namespace {

bool digits(const std::string& s, std::size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool tidy(const std::string& s) {  // no leading, trailing or doubled spaces
  if (!s.empty() && (s.front() == ' ' || s.back() == ' ')) return false;
  return s.find("  ") == std::string::npos;
}

void check(const Address& a, std::string_view input) {
  if (a.street.empty() || !tidy(a.street) || !tidy(a.unit) || !tidy(a.city)) __builtin_trap();
  if (!a.state.empty() && (a.state.size() != 2 || a.state[0] < 'A' || a.state[0] > 'Z' || a.state[1] < 'A' || a.state[1] > 'Z'))
    __builtin_trap();
  if (!a.zip.empty() && !digits(a.zip, 5)) __builtin_trap();
  if (!a.zip4.empty() && (a.zip.empty() || !digits(a.zip4, 4))) __builtin_trap();
  // Nothing invented: the ZIP's digits are in the input.
  if (!a.zip.empty() && input.find(a.zip) == std::string_view::npos && input.find(a.zip + a.zip4) == std::string_view::npos)
    __builtin_trap();
  for (const auto& w : a.warnings)
    if (w.rfind("address: ", 0) != 0) __builtin_trap();
  (void)describe_rules(a.rules);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  try {
    Address a = parse_address(s);
    check(a, s);
    Address again = parse_address(s);
    if (again.street != a.street || again.unit != a.unit || again.city != a.city || again.state != a.state ||
        again.zip != a.zip || again.warnings != a.warnings)
      __builtin_trap();
  } catch (const AddressError& e) {
    if (std::string_view(e.what()).rfind("address ", 0) != 0) __builtin_trap();
  }
  (void)normalize_unit(s);
  (void)normalize_city(s);
  (void)normalize_state(s);
  (void)state_code(s);
  return 0;
}
