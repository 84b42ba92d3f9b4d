#include "nodes/normalizer/address_tokens.hpp"

namespace flowrun::normalizer::addr {
namespace {

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_alnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

class Tokenizer {
 public:
  explicit Tokenizer(TokenLine& out) : out_(out) {}

  void run(std::string_view s) {
    // Every input byte gives at most one byte of `buf`, so sizing it to s.size() up front keeps
    // the views the tokens hold valid while the line is read.
    out_.buf.resize(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (is_alnum(c) || c == '\'' || c == '/' || c == '&') {
        put(static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c));
      } else if (c == '-') {
        put('-');
      } else if (c == 0xE2 && i + 2 < s.size() && is_dash_sequence(s, i)) {
        put('-');  // em dash, en dash or minus sign: "94103—1612"
        i += 2;
      } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
        finish();  // no-break space
        ++i;
      } else if (c >= 0x80) {
        put(static_cast<char>(c));  // part of a non-ASCII letter
      } else if (c == '.') {
        // Between digits a period is part of the number ("85.375" is no ZIP); elsewhere it
        // only marks an abbreviation ("St.", "N.E.", "11201.").
        bool in_number = n_ > start_ && is_digit(out_.buf[n_ - 1]) && i + 1 < s.size() &&
                         is_digit(static_cast<unsigned char>(s[i + 1]));
        if (in_number) put('.');
        else if (n_ > start_) period_ = true;
      } else if (c == '#') {
        finish();
        put('#');
        emit(n_ - 1, 1);
        start_ = n_;
      } else if (c == ',' || c == ';') {
        finish();
        if (part_has_tokens_) {
          ++part_;
          part_has_tokens_ = false;
        }
      } else {
        finish();  // space, tab, newline, brackets, quotes, other punctuation
      }
    }
    finish();
    out_.buf.resize(n_);
  }

 private:
  static bool is_dash_sequence(std::string_view s, std::size_t i) {
    auto b1 = static_cast<unsigned char>(s[i + 1]), b2 = static_cast<unsigned char>(s[i + 2]);
    return (b1 == 0x80 && (b2 == 0x93 || b2 == 0x94)) || (b1 == 0x88 && b2 == 0x92);
  }

  // Ends the word being read: dashes and apostrophes at its ends are split off or dropped.
  void finish() {
    std::size_t b = start_, e = n_;
    bool period = period_;
    start_ = e;
    period_ = false;
    while (b < e && out_.buf[b] == '\'') ++b;
    while (e > b && out_.buf[e - 1] == '\'') --e;
    std::size_t lead = b;
    while (lead < e && out_.buf[lead] == '-') ++lead;
    std::size_t trail = e;
    while (trail > lead && out_.buf[trail - 1] == '-') --trail;
    if (lead > b) emit(b, 1);  // a run of dashes is one "-"
    if (trail > lead) {
      emit(lead, trail - lead);
      out_.tokens.back().period = period;
    }
    if (e > trail && trail > lead) emit(trail, 1);
  }

  void emit(std::size_t at, std::size_t len) {
    Token t;
    t.text = std::string_view(out_.buf.data() + at, len);
    t.part = part_;
    if (len <= 24) t.word = lookup_word(t.text);
    out_.tokens.push_back(t);
    part_has_tokens_ = true;
  }

  void put(char c) { out_.buf[n_++] = c; }

  TokenLine& out_;
  std::size_t n_ = 0;  // bytes of buf written
  std::size_t start_ = 0;
  std::uint16_t part_ = 0;
  bool part_has_tokens_ = false;
  bool period_ = false;
};

}  // namespace

void tokenize(std::string_view text, TokenLine& out) {
  out.buf.clear();
  out.tokens.clear();
  Tokenizer(out).run(text);
}

bool all_digits_text(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_ordinal_text(std::string_view s) {
  if (s.size() < 3) return false;
  std::string_view tail = s.substr(s.size() - 2);
  return all_digits_text(s.substr(0, s.size() - 2)) && (tail == "ST" || tail == "ND" || tail == "RD" || tail == "TH");
}

}  // namespace flowrun::normalizer::addr
