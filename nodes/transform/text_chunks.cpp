#include "nodes/transform/text_chunks.hpp"

#include <algorithm>
#include <array>

namespace flowrun::transform {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
bool is_word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_';
}

// Byte offsets where each unit starts, then text.size(): unit i is [starts[i], starts[i + 1]).
std::vector<std::size_t> unit_starts(std::string_view t, ChunkSpec::Unit unit) {
  std::vector<std::size_t> starts;
  if (unit == ChunkSpec::Unit::characters) {
    starts.reserve(t.size() + 1);
    for (std::size_t i = 0; i < t.size(); ++i)
      if (i == 0 || !is_continuation(t[i])) starts.push_back(i);
  } else {
    std::size_t i = 0;
    while (i < t.size()) {
      if (is_space(t[i])) {
        ++i;
        continue;
      }
      starts.push_back(i);  // a token keeps the white space after it
      if (is_word_byte(t[i]))
        while (i < t.size() && is_word_byte(t[i])) ++i;
      else
        ++i;
    }
  }
  starts.push_back(t.size());
  return starts;
}

// How good a place to cut the byte offset `p` is: the level of the white space that ends there
// (0 paragraph, 1 sentence or line, 2 word, 3 inside a word).
int cut_level(std::string_view t, std::size_t p) {
  if (p == 0 || p >= t.size() || is_space(t[p])) return 3;
  std::size_t q = p;
  int newlines = 0;
  while (q > 0 && is_space(t[q - 1])) newlines += t[--q] == '\n';
  if (q == p) return 3;
  if (newlines >= 2) return 0;
  if (newlines == 1) return 1;
  std::size_t k = q;
  while (k > 0 && (t[k - 1] == '"' || t[k - 1] == '\'' || t[k - 1] == ')' || t[k - 1] == ']')) --k;
  if (k > 0 && (t[k - 1] == '.' || t[k - 1] == '!' || t[k - 1] == '?')) return 1;
  return 2;
}

// Code point offsets of byte offsets that only grow.
struct CodePoints {
  std::size_t byte = 0, count = 0;
  std::size_t at(std::string_view t, std::size_t off) {
    for (; byte < off; ++byte)
      if (!is_continuation(t[byte])) ++count;
    return count;
  }
};

}  // namespace

std::vector<TextChunk> split_text(std::string_view t, const ChunkSpec& spec) {
  std::vector<TextChunk> out;
  const auto b = unit_starts(t, spec.unit);
  const std::size_t n = b.size() - 1;
  const std::size_t size = std::max<std::size_t>(1, spec.size);
  const std::size_t overlap = std::min(spec.overlap, size - 1);
  const int wanted = static_cast<int>(spec.boundary);
  CodePoints starts, ends;
  std::size_t s = 0, last_end = 0;
  while (s < n) {
    std::size_t e = std::min(n, s + size);
    if (e < n && spec.boundary != ChunkSpec::Boundary::none) {
      // The last place of each level in the window's second half (and past the chunk before, so
      // that no chunk lies inside another); the coarsest wanted one wins.
      std::array<std::size_t, 3> best{0, 0, 0};
      const std::size_t lowest = std::max({s + 1, s + size / 2, last_end + 1});
      for (std::size_t c = e; c >= lowest; --c) {
        const int level = cut_level(t, b[c]);
        if (level < 3 && best[static_cast<std::size_t>(level)] == 0) best[static_cast<std::size_t>(level)] = c;
      }
      for (int level = wanted; level < 3; ++level)
        if (best[static_cast<std::size_t>(level)]) {
          e = best[static_cast<std::size_t>(level)];
          break;
        }
    }
    std::size_t from = b[s], to = b[e];
    while (from < to && is_space(t[from])) ++from;
    while (to > from && is_space(t[to - 1])) --to;
    if (from < to) out.push_back(TextChunk{t.substr(from, to - from), starts.at(t, from), ends.at(t, to)});
    if (e == n) break;
    last_end = e;
    // The next chunk repeats up to `overlap` units, starting at a word where one is near.
    std::size_t next = std::max(s + 1, e > overlap ? e - overlap : 0);
    for (std::size_t c = next; c < e; ++c)
      if (cut_level(t, b[c]) < 3) {
        next = c;
        break;
      }
    s = next;
  }
  return out;
}

}  // namespace flowrun::transform
