#include "nodes/normalizer/numbers.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <string>

#include "nodes/normalizer/text.hpp"

namespace flowrun::norm {
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

bool is_blank_word(std::string_view s) {
  std::string t = to_lower(squish(s));
  return t.empty() || t == "na" || t == "n/a" || t == "none" || t == "null" || t == "-" ||
         t == "--" || t == "nan";
}

struct Scanned {
  double value = 0;
  std::size_t begin = 0, end = 0;  // the number's span in the text
};

// Reads a number starting at or after `from`: digits, thousands commas (a comma counts only when
// three digits follow it), at most one decimal point.
std::optional<Scanned> scan_number(std::string_view s, std::size_t from, bool allow_sign) {
  std::size_t i = from;
  while (i < s.size() && !is_digit(s[i]) &&
         !(s[i] == '.' && i + 1 < s.size() && is_digit(s[i + 1])))
    ++i;
  if (i >= s.size()) return std::nullopt;
  Scanned out;
  out.begin = i;
  bool negative = allow_sign && i > 0 && s[i - 1] == '-' && (i < 2 || !is_digit(s[i - 2]));
  std::string digits;
  bool seen_dot = false;
  while (i < s.size()) {
    char c = s[i];
    if (is_digit(c)) {
      digits.push_back(c);
      ++i;
    } else if (c == ',' && !seen_dot && !digits.empty() && i + 3 < s.size() && is_digit(s[i + 1]) &&
               is_digit(s[i + 2]) && is_digit(s[i + 3]) && (i + 4 == s.size() || !is_digit(s[i + 4]))) {
      ++i;  // a thousands separator
    } else if (c == '.' && !seen_dot && i + 1 < s.size() && is_digit(s[i + 1])) {
      seen_dot = true;
      digits.push_back('.');
      ++i;
    } else {
      break;
    }
  }
  if (digits.empty() || digits == ".") return std::nullopt;
  out.end = i;
  out.value = std::stod(digits) * (negative ? -1 : 1);
  if (negative) out.begin -= 1;
  return out;
}

std::string next_word(std::string_view s, std::size_t from, std::size_t* word_end = nullptr) {
  std::size_t i = from;
  while (i < s.size() && (s[i] == ' ' || s[i] == '.')) ++i;
  std::size_t j = i;
  while (j < s.size() && (is_alpha(s[j]) || s[j] == '/' || is_digit(s[j]))) ++j;
  if (word_end) *word_end = j;
  return to_lower(s.substr(i, j - i));
}

}  // namespace

std::optional<double> parse_number(std::string_view s) {
  if (is_blank_word(s)) return std::nullopt;
  auto n = scan_number(s, 0, true);
  if (!n) return std::nullopt;
  return n->value;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  auto v = parse_number(s);
  if (!v || !std::isfinite(*v) || std::fabs(*v) > 9e15) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(*v));
}

std::optional<double> parse_money(std::string_view raw) {
  std::string s = squish(raw);
  if (is_blank_word(s)) return std::nullopt;
  std::string upper = to_upper(s);
  // Not dollars: never convert on a guess.
  static const std::array<std::string_view, 12> foreign = {
      "EUR", "\xE2\x82\xAC" /* € */, "\xC2\xA3" /* £ */, "GBP", "CAD", "C$", "MXN", "AUD",
      "A$", "\xC2\xA5" /* ¥ */, "JPY", "CHF"};
  for (auto f : foreign)
    if (upper.find(f) != std::string::npos) return std::nullopt;
  std::size_t from = 0;
  if (auto dollar = s.find('$'); dollar != std::string::npos) from = dollar + 1;
  auto n = scan_number(s, from, false);
  if (!n) return std::nullopt;
  double v = n->value;
  // A multiplier counts only directly after the number ("$850k", "$1.5 M", "1.5 million"); a
  // following word such as "Make an offer" or "MLS" does not.
  std::string w = next_word(s, n->end);
  if (w == "k" || w == "thousand") v *= 1e3;
  else if (w == "m" || w == "mm" || w == "mil" || w == "million") v *= 1e6;
  else if (w == "b" || w == "bn" || w == "billion") v *= 1e9;
  if (!std::isfinite(v) || v < 0) return std::nullopt;
  return std::round(v * 100) / 100;
}

std::optional<std::int64_t> parse_beds(std::string_view raw) {
  std::string s = squish(raw);
  if (is_blank_word(s)) return std::nullopt;
  auto n = scan_number(s, 0, false);
  if (!n) {
    if (to_lower(s).find("studio") != std::string::npos) return 0;
    return std::nullopt;
  }
  // Casting a double past int64's range is undefined behaviour; no home has a billion bedrooms.
  if (n->value != std::floor(n->value) || n->value < 0 || n->value > 1e9) return std::nullopt;
  return static_cast<std::int64_t>(n->value);
}

std::optional<double> parse_baths(std::string_view raw) {
  std::string s = squish(raw);
  if (is_blank_word(s)) return std::nullopt;
  double parts_total = 0, first = 0;
  bool any = false, parts = false;
  std::size_t pos = 0;
  while (auto n = scan_number(s, pos, false)) {
    std::size_t word_end = n->end;
    std::string w = next_word(s, n->end, &word_end);
    // With "full"/"half" parts, only tagged counts add up ("Baths: 3 (2 full, 1 half)" = 2.5).
    if (!any) first = n->value;
    any = true;
    if (w == "full" || w == "fb") {
      parts_total += n->value;
      parts = true;
    } else if (w == "half" || w == "hb" || w == "partial") {
      parts_total += 0.5 * n->value;
      parts = true;
    } else if (w == "three-quarter" || w == "three" || w == "3/4" || w == "qtr3") {
      parts_total += 0.75 * n->value;
      parts = true;
    } else if (w == "quarter" || w == "1/4") {
      parts_total += 0.25 * n->value;
      parts = true;
    }
    pos = n->end;
  }
  if (!any) return std::nullopt;
  return parts ? parts_total : first;
}

std::optional<std::int64_t> parse_area_sqft(std::string_view raw, AreaUnit bare_unit) {
  std::string s = squish(raw);
  if (is_blank_word(s)) return std::nullopt;
  auto n = scan_number(s, 0, false);
  if (!n) return std::nullopt;
  std::string rest = to_lower(s.substr(n->end));
  AreaUnit unit = bare_unit;
  auto starts = [&](std::string_view p) {
    std::size_t i = 0;
    while (i < rest.size() && rest[i] == ' ') ++i;
    return rest.compare(i, p.size(), p) == 0;
  };
  if (starts("acre") || starts("ac")) unit = AreaUnit::acres;
  else if (starts("sq m") || starts("sqm") || starts("m2") || starts("m\xC2\xB2") || starts("square met"))
    unit = AreaUnit::sqm;
  else if (starts("sq") || starts("sf") || starts("ft") || starts("square f")) unit = AreaUnit::sqft;
  double v = n->value;
  if (unit == AreaUnit::acres) v *= 43560.0;
  else if (unit == AreaUnit::sqm) v *= 10.7639104;
  if (!std::isfinite(v) || v < 0 || v > 9e15) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(v));
}

std::optional<int> parse_year(std::string_view raw) {
  auto v = parse_number(raw);
  if (!v || *v != std::floor(*v) || *v < 1000 || *v > 2999) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<bool> parse_bool(std::string_view raw) {
  std::string s = to_lower(squish(raw));
  if (s == "true" || s == "yes" || s == "y" || s == "1" || s == "t") return true;
  if (s == "false" || s == "no" || s == "n" || s == "0" || s == "f") return false;
  return std::nullopt;
}

std::optional<Zip> parse_zip(std::string_view s) {
  // Trim the view itself so the results can point into the caller's string.
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.size() < 5) return std::nullopt;
  for (int i = 0; i < 5; ++i)
    if (!is_digit(s[i])) return std::nullopt;
  Zip z{s.substr(0, 5), {}};
  std::string_view rest = s.substr(5);
  if (rest.empty()) return z;
  if (rest.size() == 4 && all_digits(rest)) {
    z.zip4 = rest;
    return z;
  }
  std::size_t i = 0;
  while (i < rest.size() && rest[i] == ' ') ++i;
  if (i >= rest.size() || rest[i] != '-') return std::nullopt;
  ++i;
  while (i < rest.size() && rest[i] == ' ') ++i;
  std::string_view four = rest.substr(i);
  if (four.size() != 4 || !all_digits(four)) return std::nullopt;
  z.zip4 = four;
  return z;
}

}  // namespace flowrun::norm
