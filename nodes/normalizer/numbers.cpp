#include "nodes/normalizer/numbers.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

#include "nodes/normalizer/text.hpp"

namespace flowrun::normalizer {
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// True for "", "na", "n/a", "none", "null", "-", "--", "nan" in any case, with any spaces around
// (as squish() counts them). On every number parsed: no allocation.
bool is_blank_word(std::string_view s) {
  s = trim_space(s);
  if (s.size() > 4) return false;  // the longest blank word is 4 letters
  char t[4];
  for (std::size_t i = 0; i < s.size(); ++i) t[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  const std::string_view w(t, s.size());
  return w.empty() || w == "na" || w == "n/a" || w == "none" || w == "null" || w == "-" || w == "--" || w == "nan";
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
  // The digits without separators, for from_chars (same rounding as strtod); a longer number
  // than the buffer takes (hundreds of digits) goes through a string.
  char buf[64];
  std::size_t len = 0;
  std::string long_digits;
  auto push = [&](char c) {
    if (len < sizeof buf) buf[len] = c;
    else if (len == sizeof buf) long_digits.assign(buf, len).push_back(c);
    else long_digits.push_back(c);
    ++len;
  };
  bool seen_dot = false;
  while (i < s.size()) {
    char c = s[i];
    if (is_digit(c)) {
      push(c);
      ++i;
    } else if (c == ',' && !seen_dot && len > 0 && i + 3 < s.size() && is_digit(s[i + 1]) &&
               is_digit(s[i + 2]) && is_digit(s[i + 3]) && (i + 4 == s.size() || !is_digit(s[i + 4]))) {
      ++i;  // a thousands separator
    } else if (c == '.' && !seen_dot && i + 1 < s.size() && is_digit(s[i + 1])) {
      seen_dot = true;
      push('.');
      ++i;
    } else {
      break;
    }
  }
  const std::string_view digits = len <= sizeof buf ? std::string_view(buf, len) : std::string_view(long_digits);
  if (digits.empty() || digits == ".") return std::nullopt;
  out.end = i;
  double value = 0;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (r.ec == std::errc::result_out_of_range) throw std::out_of_range("stod");  // as std::stod did
  out.value = value * (negative ? -1 : 1);
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

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

// Where the second number of a range starts: after `end` (the end of the first number, or of its
// unit) come a separator ("-", en dash, em dash, "to"), optionally "$", then a digit. npos when the
// text goes on any other way ("$450,000 - reduced", "2 full, 1 half").
std::size_t range_second(std::string_view s, std::size_t end, bool money) {
  std::size_t i = skip_spaces(s, end);
  if (i < s.size() && s[i] == '-') {
    ++i;
  } else if (s.substr(i, 3) == "\xE2\x80\x93" || s.substr(i, 3) == "\xE2\x80\x94") {
    i += 3;
  } else if (i + 2 < s.size() && to_lower(s.substr(i, 2)) == "to" && s[i + 2] == ' ') {
    i += 2;
  } else {
    return std::string_view::npos;
  }
  i = skip_spaces(s, i);
  if (money && i < s.size() && s[i] == '$') i = skip_spaces(s, i + 1);
  return i < s.size() && is_digit(s[i]) ? i : std::string_view::npos;
}

// The multiplier written right after a money amount ("$850k", "$1.5 M", "1.5 million"); a
// following word such as "Make an offer" or "MLS" is none. `end` moves past the word it reads.
double money_multiplier(std::string_view s, std::size_t& end) {
  std::size_t word_end = end;
  std::string w = next_word(s, end, &word_end);
  double f = 1;
  if (w == "k" || w == "thousand") f = 1e3;
  else if (w == "m" || w == "mm" || w == "mil" || w == "million") f = 1e6;
  else if (w == "b" || w == "bn" || w == "billion") f = 1e9;
  if (f != 1) end = word_end;
  return f;
}

bool whole(double v) { return v == std::floor(v) && v >= 0 && v <= 1e9; }

// The area unit named at `from` ("sqft", "sq. ft.", "acres", "m2"), and where its words end.
std::optional<AreaUnit> unit_at(std::string_view s, std::size_t from, std::size_t* end = nullptr) {
  std::size_t i = skip_spaces(s, from);
  std::string rest = to_lower(s.substr(i));
  struct Word {
    std::string_view text;
    AreaUnit unit;
  };
  // Longest spellings first: "sq ft" before "sq", "square met" before "square f".
  static const Word words[] = {{"square feet", AreaUnit::sqft}, {"square foot", AreaUnit::sqft},
                               {"square met", AreaUnit::sqm},   {"sq. ft.", AreaUnit::sqft},
                               {"sq ft", AreaUnit::sqft},       {"sq.ft.", AreaUnit::sqft},
                               {"sq m", AreaUnit::sqm},         {"sqft", AreaUnit::sqft},
                               {"sqm", AreaUnit::sqm},          {"m2", AreaUnit::sqm},
                               {"m\xC2\xB2", AreaUnit::sqm},    {"acres", AreaUnit::acres},
                               {"acre", AreaUnit::acres},       {"ac", AreaUnit::acres},
                               {"sq", AreaUnit::sqft},          {"sf", AreaUnit::sqft},
                               {"ft", AreaUnit::sqft}};
  for (const auto& w : words) {
    if (rest.compare(0, w.text.size(), w.text) != 0) continue;
    std::size_t j = i + w.text.size();
    while (j < s.size() && (is_alpha(s[j]) || s[j] == '.')) ++j;  // "sq. ft." "acres", "sqft."
    if (end) *end = j;
    return w.unit;
  }
  return std::nullopt;
}

double to_sqft(double v, AreaUnit u) {
  if (u == AreaUnit::acres) return v * 43560.0;
  if (u == AreaUnit::sqm) return v * 10.7639104;
  return v;
}

std::optional<std::int64_t> whole_sqft(double v) {
  if (!std::isfinite(v) || v < 0 || v > 9e15) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(v));
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

bool says_monthly(std::string_view raw) {
  std::string s = to_lower(squish(raw));
  if (s.find("monthly") != std::string::npos) return true;
  for (std::string_view lead : {"/", "per "}) {
    for (std::size_t p = s.find(lead); p != std::string::npos; p = s.find(lead, p + 1)) {
      std::size_t i = skip_spaces(s, p + lead.size());
      if (s.compare(i, 2, "mo") != 0) continue;
      i += 2;
      if (s.compare(i, 3, "nth") == 0) i += 3;
      if (i >= s.size() || !is_alpha(s[i])) return true;  // not "/mortgage", "per model"
    }
  }
  return false;
}

std::optional<MoneySpan> parse_money_span(std::string_view raw) {
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
  auto first = scan_number(s, from, false);
  if (!first) return std::nullopt;
  std::size_t end = first->end;
  const double first_factor = money_multiplier(s, end);
  MoneySpan out;
  out.min = out.max = first->value * first_factor;
  out.monthly = says_monthly(s);
  if (std::size_t at = range_second(s, end, true); at != std::string_view::npos) {
    auto second = scan_number(s, at, false);
    std::size_t second_end = second->end;
    const double factor = money_multiplier(s, second_end);
    double lo = out.min, hi = second->value * factor;
    // "$1.2 - 1.5M": the multiplier written once covers both ends.
    if (first_factor == 1 && factor != 1 && first->value < second->value) lo = first->value * factor;
    if (hi >= lo) out.min = lo, out.max = hi;
  }
  if (!std::isfinite(out.max) || out.min < 0) return std::nullopt;
  out.min = std::round(out.min * 100) / 100;
  out.max = std::round(out.max * 100) / 100;
  return out;
}

std::optional<double> parse_money(std::string_view raw) {
  auto v = parse_money_span(raw);
  if (!v || !v->exact()) return std::nullopt;
  return v->min;
}

std::optional<Span<std::int64_t>> parse_beds_span(std::string_view raw) {
  std::string s = squish(raw);
  if (is_blank_word(s)) return std::nullopt;
  const std::string lower = to_lower(s);
  std::optional<double> lo;
  std::size_t end = 0;
  if (lower.starts_with("studio")) {
    lo = 0;  // "Studio-2 Beds": a studio is the low end
    end = 6;
  } else if (auto n = scan_number(s, 0, false)) {
    lo = n->value;
    end = n->end;
  } else if (lower.find("studio") != std::string::npos) {
    return Span<std::int64_t>{0, 0};
  } else {
    return std::nullopt;
  }
  // Casting a double past int64's range is undefined behaviour; no home has a billion bedrooms.
  if (!whole(*lo)) return std::nullopt;
  const auto low = static_cast<std::int64_t>(*lo);
  if (std::size_t at = range_second(s, end, false); at != std::string_view::npos) {
    auto hi = scan_number(s, at, false);
    if (whole(hi->value) && hi->value >= *lo) return Span<std::int64_t>{low, static_cast<std::int64_t>(hi->value)};
  }
  return Span<std::int64_t>{low, low};
}

std::optional<std::int64_t> parse_beds(std::string_view raw) {
  auto v = parse_beds_span(raw);
  if (!v || !v->exact()) return std::nullopt;
  return v->min;
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

std::optional<Span<double>> parse_baths_span(std::string_view raw) {
  std::string s = squish(raw);
  auto first = scan_number(s, 0, false);
  if (first && !is_blank_word(s)) {
    if (std::size_t at = range_second(s, first->end, false); at != std::string_view::npos) {
      auto second = scan_number(s, at, false);
      if (second->value >= first->value) return Span<double>{first->value, second->value};
    }
  }
  auto v = parse_baths(s);
  if (!v) return std::nullopt;
  return Span<double>{*v, *v};
}

std::optional<Span<std::int64_t>> parse_area_span(std::string_view raw, AreaUnit bare_unit) {
  std::string s = squish(raw);
  if (is_blank_word(s)) return std::nullopt;
  auto first = scan_number(s, 0, false);
  if (!first) return std::nullopt;
  std::size_t end = first->end;
  std::optional<AreaUnit> unit = unit_at(s, end, &end);
  double lo = first->value, hi = lo;
  if (std::size_t at = range_second(s, end, false); at != std::string_view::npos) {
    auto second = scan_number(s, at, false);
    if (second->value >= lo) {
      hi = second->value;
      // The unit written last covers both ends ("476-498 sqft", "0.25-0.5 acres").
      if (auto u = unit_at(s, second->end)) unit = u;
    }
  }
  const AreaUnit u = unit.value_or(bare_unit);
  auto a = whole_sqft(to_sqft(lo, u)), b = whole_sqft(to_sqft(hi, u));
  if (!a || !b) return std::nullopt;
  return Span<std::int64_t>{*a, *b};
}

std::optional<std::int64_t> parse_area_sqft(std::string_view raw, AreaUnit bare_unit) {
  auto v = parse_area_span(raw, bare_unit);
  if (!v || !v->exact()) return std::nullopt;
  return v->min;
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

}  // namespace flowrun::normalizer
