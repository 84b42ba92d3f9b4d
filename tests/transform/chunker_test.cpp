// `chunker`: the cutting rules on plain text (sizes, overlap, boundaries, UTF-8, a 1 MB text),
// and the node in a pipeline (one record per chunk with its parent link, accounting, check).
#include <catch2/catch.hpp>

#include <fstream>
#include <random>

#include "nodes/transform/text_chunks.hpp"
#include "tests/transform/transform_test_support.hpp"

using namespace flowrun;
using namespace flowrun::transform;
using namespace flowrun::transform_test;

namespace {

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

// Every non-space byte of `text` lies in some chunk, found through the chunks' offsets.
void check_covers(const std::string& text, const std::vector<TextChunk>& chunks) {
  std::vector<bool> covered(text.size(), false);
  for (const auto& c : chunks) {
    const auto from = static_cast<std::size_t>(c.text.data() - text.data());
    for (std::size_t i = 0; i < c.text.size(); ++i) covered[from + i] = true;
    // start/end are code point offsets of exactly this text.
    CHECK(code_points(std::string_view(text).substr(0, from)) == c.start);
    CHECK(c.end - c.start == code_points(c.text));
  }
  for (std::size_t i = 0; i < text.size(); ++i)
    if (!covered[i] && text[i] != ' ' && text[i] != '\n') FAIL("byte " << i << " is in no chunk");
}

const std::string kListing =
    "Welcome home to this beautifully updated single-level home in the heart of Arcadia. The open floor plan "
    "features vaulted ceilings, a chef's kitchen with quartz counters, and a large island.\n\n"
    "The primary suite has a walk-in closet and a spa-like bath! Two more bedrooms share a full bath. "
    "Is there more? Yes: a diving pool, a covered patio and mature citrus trees.\n\n"
    "Close to schools, shopping and the canal path. Seller will consider offers; buyer to verify all "
    "information. Showings start Friday.";

}  // namespace

TEST_CASE("chunks stay within size, overlap, and end on paragraphs or sentences", "[chunker]") {
  ChunkSpec s;
  s.size = 200;
  s.overlap = 40;
  const auto chunks = split_text(kListing, s);
  REQUIRE(chunks.size() >= 3);
  check_covers(kListing, chunks);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    INFO("chunk " << i << ": [" << chunks[i].text << "]");
    CHECK(code_points(chunks[i].text) <= 200);
    if (i + 1 < chunks.size()) {
      const char last = chunks[i].text.back();
      CHECK((last == '.' || last == '!' || last == '?'));  // no chunk but the last ends mid-sentence
      CHECK(chunks[i + 1].start < chunks[i].end);           // the next repeats the end of this one
      CHECK(chunks[i].end - chunks[i + 1].start <= 40);
      CHECK(chunks[i + 1].start > chunks[i].start);
    }
  }
  // The first paragraph (187 characters) fits: the first chunk is exactly it.
  CHECK(chunks[0].text == kListing.substr(0, kListing.find("\n\n")));
}

TEST_CASE("boundary none cuts at the size, word boundaries never split a word", "[chunker]") {
  ChunkSpec s;
  s.size = 50;
  s.overlap = 0;
  s.boundary = ChunkSpec::Boundary::none;
  const std::string text(173, 'x');
  const auto hard = split_text(text, s);
  REQUIRE(hard.size() == 4);
  CHECK(hard[0].text.size() == 50);
  CHECK(hard[3].text.size() == 23);
  check_covers(text, hard);

  s.boundary = ChunkSpec::Boundary::word;
  const auto words = split_text(kListing, s);
  check_covers(kListing, words);
  for (const auto& c : words) {
    const auto from = static_cast<std::size_t>(c.text.data() - kListing.data());
    const auto to = from + c.text.size();
    CHECK((from == 0 || kListing[from - 1] == ' ' || kListing[from - 1] == '\n'));
    CHECK((to == kListing.size() || kListing[to] == ' ' || kListing[to] == '\n'));
  }
}

TEST_CASE("multi-byte text is cut between characters, and counted in characters", "[chunker]") {
  std::string text;
  for (int i = 0; i < 300; ++i) text += (i % 7 == 6) ? "é. " : "Piñón ";  // 2-byte characters
  text += "日本語のテキスト";                                             // 3-byte characters
  ChunkSpec s;
  s.size = 64;
  s.overlap = 8;
  s.boundary = ChunkSpec::Boundary::none;
  const auto chunks = split_text(text, s);
  check_covers(text, chunks);
  for (const auto& c : chunks) {
    CHECK(valid_utf8(c.text));
    CHECK(code_points(c.text) <= 64);
  }
}

TEST_CASE("by tokens: sizes count words and punctuation marks", "[chunker]") {
  ChunkSpec s;
  s.unit = ChunkSpec::Unit::tokens;
  s.size = 12;
  s.overlap = 3;
  s.boundary = ChunkSpec::Boundary::sentence;
  const auto chunks = split_text("One two three. Four five six seven. Eight, nine ten! Eleven twelve thirteen fourteen.", s);
  // "One two three . Four five six seven ." is 10 tokens; up to "!" would be 15. Each next chunk
  // repeats the last three tokens before the cut, from a word: "six seven .", "nine ten !".
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].text == "One two three. Four five six seven.");
  CHECK(chunks[1].text == "six seven. Eight, nine ten!");
  CHECK(chunks[2].text == "nine ten! Eleven twelve thirteen fourteen.");
}

TEST_CASE("a 1 MB text: every chunk within size, all of it covered, chunks in order", "[chunker]") {
  std::mt19937 rng(7);
  const char* words[] = {"stucco", "roof", "pool", "kitchen", "granite", "Arcadia", "canal", "patio", "solar", "garage"};
  std::string text;
  text.reserve(1 << 20);
  while (text.size() < (1u << 20)) {
    text += words[rng() % 10];
    const auto r = rng() % 40;
    text += r == 0 ? ".\n\n" : r < 4 ? ". " : " ";
  }
  ChunkSpec s;
  s.size = 1000;
  s.overlap = 100;
  const auto chunks = split_text(text, s);
  check_covers(text, chunks);
  CHECK(chunks.size() >= text.size() / 1000);
  CHECK(chunks.size() <= text.size() / 450);  // cuts stay in the window's second half
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    CHECK(code_points(chunks[i].text) <= 1000);
    if (i) CHECK(chunks[i].start > chunks[i - 1].start);
  }
}

TEST_CASE("chunker node: one record per chunk, linked to its parent, the rest filtered", "[chunker]") {
  TempDir dir;
  std::string long_text;
  for (int i = 0; i < 30; ++i) long_text += "Sentence number " + std::to_string(i) + " of a long listing description. ";
  const auto input = dir.write("in.jsonl",
                               "{\"id\":\"apn:1\",\"source\":\"assessor\",\"address\":{\"zip\":\"85018\"},\"description\":\"" +
                                   long_text + "\"}\n{\"id\":\"apn:2\",\"source\":\"assessor\"}\n"
                                   "{\"id\":\"apn:3\",\"description\":42}\n");
  auto s = run_in(dir, "nodes:\n"
                       "  src: {type: file, path: in.jsonl}\n"
                       "  cut: {type: chunker, inputs: [src], size: 300, overlap: 50, keep: [source, address.zip]}\n"
                       "  sink: {type: jsonl, inputs: [cut], path: out.jsonl}\n"
                       "  dead: {type: dead_letter, inputs: [cut.errors], path: dead.jsonl}\n");
  check_balanced(s);
  const auto out = read_jsonl(dir.path / "out.jsonl");
  REQUIRE(out.size() >= 5);
  for (std::size_t i = 0; i < out.size(); ++i) {
    CHECK(out[i].at("id").as_string() == "apn:1#" + std::to_string(i));
    CHECK(out[i].at("parent_id") == "apn:1");
    CHECK(out[i].at("source") == "assessor");
    CHECK(out[i].at("address").at("zip") == "85018");
    CHECK(out[i].at("chunk").at("index") == static_cast<std::int64_t>(i));
    CHECK(out[i].at("chunk").at("count") == static_cast<std::int64_t>(out.size()));
    const auto text = out[i].at("chunk").at("text").as_string();
    const auto start = out[i].at("chunk").at("start").as_int64();
    CHECK(long_text.substr(static_cast<std::size_t>(start), text.size()) == std::string(text));
    CHECK(text.size() <= 300);
  }
  const auto& cut = node(s, "cut");
  CHECK(cut.in == 3);
  CHECK(cut.filtered == 1);  // apn:2 has no description
  CHECK(cut.errors == 1);    // apn:3's is a number
  CHECK(cut.out == 1);  // inputs that left on out (as many chunks as they made)
  CHECK(cut.emitted == static_cast<std::int64_t>(out.size()));
  const auto dead = read_jsonl(dir.path / "dead.jsonl");
  REQUIRE(dead.size() == 1);
  CHECK(std::string(dead[0].at("reason").as_string()).find("a chunker cuts text, not a number") != std::string::npos);
}

TEST_CASE("chunker check: overlap must be smaller than size, choices are checked", "[chunker]") {
  TempDir dir;
  auto r = load_in(dir, "nodes:\n"
                        "  src: {type: file, path: in.jsonl}\n"
                        "  cut: {type: chunker, inputs: [src], size: 100, overlap: 100, by: bytes}\n"
                        "  sink: {type: jsonl, inputs: [cut], path: out.jsonl}\n");
  const auto text = diagnostics_text(r);
  CHECK(text.find("p.yaml:3:") != std::string::npos);
  CHECK(text.find("overlap (100) must be smaller than size (100)") != std::string::npos);
  CHECK(text.find("bytes") != std::string::npos);
}
