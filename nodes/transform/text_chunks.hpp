// Cutting a long text into overlapping chunks for an embedder, on paragraph or sentence
// boundaries where the size allows (the `chunker` node, nodes/transform/chunker_node.cpp).
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

namespace flowrun::transform {

struct ChunkSpec {
  // characters: Unicode code points. tokens: words (runs of letters, digits and any non-ASCII
  // character) and single punctuation marks; an embedding model's tokenizer makes at least as
  // many tokens of English text, so a size in these tokens stays inside a model's window when
  // set to it.
  enum class Unit { characters, tokens };
  // The coarsest boundary tried first; each falls back to the next finer one, and `none` (or a
  // window with no boundary in its second half) cuts where the size ends.
  enum class Boundary { paragraph, sentence, word, none };
  Unit unit = Unit::characters;
  Boundary boundary = Boundary::paragraph;
  std::size_t size = 1000;   // most units in one chunk
  std::size_t overlap = 100; // units a chunk repeats from the end of the one before; < size
};

struct TextChunk {
  std::string_view text;      // the chunk, without leading or trailing white space
  std::size_t start = 0;      // its first character, as a code point offset in the whole text
  std::size_t end = 0;        // one past its last character
};

// The chunks of `text`, in order; none for text that is empty or only white space. Never cuts
// inside a UTF-8 sequence. Every non-space character of `text` is in at least one chunk.
std::vector<TextChunk> split_text(std::string_view text, const ChunkSpec& spec);

}  // namespace flowrun::transform
