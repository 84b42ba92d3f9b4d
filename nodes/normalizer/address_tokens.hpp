// Splits one address line into upper-case words and remembers where the commas were, so the
// parser can read the line from both ends by index. One pass over the bytes; the words point
// into one buffer owned by the TokenLine.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/normalizer/address_words.hpp"

namespace flowrun::normalizer::addr {

struct Token {
  std::string_view text;           // upper-case, periods removed; "#" and "-" are tokens
  const WordInfo* word = nullptr;  // lookup_word(text)
  std::uint16_t part = 0;          // index of the comma-separated part it is in
  bool period = false;             // written with a period ("St.")

  bool is(std::uint32_t f) const { return word && word->is(f); }
  bool is_hash() const { return text == "#"; }
  bool is_dash() const { return text == "-"; }
};

struct TokenLine {
  std::string buf;  // the upper-case text the tokens point into
  std::vector<Token> tokens;
};

// Separators: spaces (and no-break spaces), commas and semicolons (which start a new part),
// and punctuation other than ' / & # - and periods. Periods are dropped and remembered
// ("St." -> ST, period) except between digits ("85.375" stays one number). Em dash, en dash
// and minus sign read as '-'; a dash at either end of a word becomes its own "-" token.
void tokenize(std::string_view text, TokenLine& out);

// Helpers on token text.
bool all_digits_text(std::string_view s);
bool is_ordinal_text(std::string_view s);  // 1ST 2ND 3RD 42ND 11TH

}  // namespace flowrun::normalizer::addr
