// Chunks end to end (issue 20, "Chunking for the embedder"): a long listing description and a 1 MB
// text go through `chunker -> embedder (the fake LLM server) -> store kind: chunks` into a real
// SQLite file and into the real PostgreSQL server the suite starts. The stored rows must link to
// their parent, stand in order, carry their embedding and lineage, and together cover the text;
// a rerun changes nothing, and a text that now makes fewer chunks leaves no stale ones.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "engine/pipeline.hpp"
#include "nodes/builtin.hpp"
#include "nodes/store/lineage.hpp"
#include "nodes/store/store.hpp"
#include "pg_server.hpp"
#include "tests/shared/run_checks.hpp"
#include "tests/shared/temp_dir.hpp"
#include "tools/fixtures/llm/fake_llm_server.hpp"

using namespace flowrun;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

using flowrun::testing::TempDir;

const Registry& registry() {
  static Registry r = [] {
    Registry reg;
    register_builtin_nodes(reg);
    return reg;
  }();
  return r;
}

RunSummary run_yaml(const std::string& yaml) {
  auto loaded = load_pipeline_string(yaml, "chunks.yaml", registry());
  if (!loaded.ok()) {
    std::string all;
    for (const auto& d : loaded.diagnostics.all()) all += d.str() + "\n";
    FAIL(all);
  }
  return flowrun::testing::run_checked(loaded.graph, registry());
}

double counter(const RunSummary& s, const std::string& k) {
  auto it = s.counters.find(k);
  return it == s.counters.end() ? 0 : it->second;
}

const NodeSummary& node(const RunSummary& s, const std::string& id) {
  for (const auto& n : s.nodes)
    if (n.id == id) return n;
  FAIL("no node " << id);
  throw;
}

// A listing description of several paragraphs, about 3,400 characters.
std::string listing_text() {
  std::string t;
  const char* paragraphs[] = {
      "Welcome home to this beautifully updated single-level home in the heart of Arcadia. The open floor plan "
      "features vaulted ceilings, a chef's kitchen with quartz counters, and a large island. ",
      "The primary suite has a walk-in closet and a spa-like bath! Two more bedrooms share a full bath. Is there "
      "more? Yes: a diving pool, a covered patio and mature citrus trees. ",
      "Close to schools, shopping and the canal path. Seller will consider offers; buyer to verify all "
      "information. Showings start Friday. "};
  for (int k = 0; k < 6; ++k) {
    for (const char* p : paragraphs) t += p;
    t += "Paragraph " + std::to_string(k) + " ends here.\n\n";
  }
  return t;
}

// About 1 MB of words, sentences and paragraphs.
std::string megabyte_text(unsigned seed) {
  std::mt19937 rng(seed);
  const char* words[] = {"stucco", "roof", "pool", "kitchen", "granite", "Arcadia", "canal", "patio", "solar", "garage"};
  std::string t;
  t.reserve((1u << 20) + 64);
  while (t.size() < (1u << 20)) {
    t += words[rng() % 10];
    const auto r = rng() % 40;
    t += r == 0 ? ".\n\n" : r < 4 ? ". " : " ";
  }
  return t;
}

void write_input(const fs::path& file, const std::vector<json::object>& records) {
  std::ofstream f(file, std::ios::binary | std::ios::trunc);
  for (const auto& r : records) f << json::serialize(r) << "\n";
}

struct StoredChunk {
  std::int64_t index, count, start, end;
  std::string text, embedding, model, trace_id, run_id, fields;
};

std::vector<StoredChunk> chunks_of(store::Store& st, const std::string& parent) {
  std::vector<StoredChunk> out;
  for (const auto& r : st.query("SELECT chunk_index, chunk_count, start_offset, end_offset, text, "
                                "COALESCE(embedding, ''), COALESCE(embedding_model, ''), COALESCE(trace_id, ''), "
                                "COALESCE(run_id, ''), fields FROM chunks WHERE parent_id = ? ORDER BY chunk_index",
                                {parent}))
    out.push_back({std::stoll(*r[0]), std::stoll(*r[1]), std::stoll(*r[2]), std::stoll(*r[3]), *r[4], *r[5], *r[6],
                   *r[7], *r[8], *r[9]});
  return out;
}

// The parent's stored chunks are whole and in order, each is the text at its offsets, each has
// its embedding and lineage, and together they cover every non-space character of `text`.
void check_parent(store::Store& st, const std::string& parent, const std::string& text, const std::string& run_id,
                  const std::string& source) {
  INFO("parent " << parent);
  const auto rows = chunks_of(st, parent);
  REQUIRE(!rows.empty());
  std::vector<bool> covered(text.size(), false);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& c = rows[i];
    INFO("chunk " << i);
    CHECK(c.index == static_cast<std::int64_t>(i));
    CHECK(c.count == static_cast<std::int64_t>(rows.size()));
    if (i) CHECK(c.start > rows[i - 1].start);
    REQUIRE(c.end <= static_cast<std::int64_t>(text.size()));  // ASCII: code points are bytes
    CHECK(text.substr(static_cast<std::size_t>(c.start), static_cast<std::size_t>(c.end - c.start)) == c.text);
    CHECK(c.text.size() <= 1000);
    for (auto k = c.start; k < c.end; ++k) covered[static_cast<std::size_t>(k)] = true;
    const auto vec = json::parse(c.embedding);
    REQUIRE(vec.is_array());
    CHECK(vec.as_array().size() == 8);
    CHECK(c.model == "nomic-embed-text:latest");
    CHECK(c.run_id == run_id);
    CHECK(c.trace_id.rfind(run_id + "-", 0) == 0);
    CHECK(json::parse(c.fields).at("source").as_string() == source);
  }
  for (std::size_t k = 0; k < text.size(); ++k)
    if (!covered[k] && text[k] != ' ' && text[k] != '\n') FAIL("character " << k << " of " << parent << " is in no chunk");
}

std::int64_t count(store::Store& st, const std::string& sql, const std::vector<std::string>& p = {}) {
  return std::stoll(*st.query(sql, p).at(0).at(0));
}

}  // namespace

TEST_CASE("chunks: a listing and a 1 MB text are chunked, embedded and stored with their parent link", "[chunks]") {
  fixtures::FakeLlmServer fake;
  fake.start();
  for (std::string backend : {"sqlite", "postgresql"}) {
    if (backend == "postgresql" && !testpg::binaries_present()) {
      WARN("PostgreSQL binaries absent: PostgreSQL chunks pipeline skipped");
      continue;
    }
    DYNAMIC_SECTION(backend) {
      TempDir dir(backend);
      const std::string url = backend == "sqlite" ? "sqlite:" + (dir.path / "store.db").string()
                                                  : testpg::Server::instance().fresh_database();
      const std::string listing = listing_text(), big = megabyte_text(7);
      const auto input = dir.path / "in.jsonl";
      write_input(input, {{{"id", "mls:1"}, {"source", "listings"}, {"description", listing}},
                          {{"id", "doc:big"}, {"source", "docs"}, {"description", big}},
                          {{"id", "mls:2"}, {"source", "listings"}, {"description", "A small condo. Two beds."}},
                          {{"id", "mls:3"}, {"source", "listings"}}});
      const std::string yaml = "name: chunks\nstore: " + url + "\nnodes:\n  src: {type: file, path: " +
                               input.string() +
                               "}\n"
                               "  cut: {type: chunker, inputs: [src], size: 1000, overlap: 100, keep: [source]}\n"
                               "  embed: {type: embedder, inputs: [cut], base_url: " + fake.url() +
                               ", fields: [chunk.text], batch_size: 64}\n"
                               "  store: {type: store, inputs: [embed], kind: chunks, batch_size: 200}\n"
                               "  rejects: {type: dead_letter_store}\n";

      // First run: every chunk inserted, each parent whole.
      auto s1 = run_yaml(yaml);
      REQUIRE(s1.status == "ok");
      auto st = store::Store::open(url);
      const auto total = count(*st, "SELECT COUNT(*) FROM chunks");
      CHECK(total == node(s1, "cut").emitted);
      CHECK(counter(s1, "store.chunks_inserted") == static_cast<double>(total));
      CHECK(counter(s1, "store.inserted") == 0);  // the properties' count is not the chunks'
      CHECK(node(s1, "cut").filtered == 1);       // mls:3 has no description
      CHECK(count(*st, "SELECT COUNT(*) FROM dead_letters") == 0);
      check_parent(*st, "mls:1", listing, s1.run_id, "listings");
      check_parent(*st, "doc:big", big, s1.run_id, "docs");
      check_parent(*st, "mls:2", "A small condo. Two beds.", s1.run_id, "listings");
      CHECK(chunks_of(*st, "mls:1").size() >= 4);
      CHECK(chunks_of(*st, "doc:big").size() >= (1u << 20) / 1000);
      CHECK(chunks_of(*st, "mls:2").size() == 1);
      CHECK(count(*st, "SELECT COUNT(*) FROM chunks WHERE parent_id = ?", {"mls:3"}) == 0);
      // Different passages, different vectors (the embedder embedded each chunk's own text).
      const auto l = chunks_of(*st, "mls:1");
      CHECK(l[0].embedding != l[1].embedding);
      // `flowrun trace` finds a chunk row by its record's trace id.
      const auto lin = store::lineage_of(*st, l[1].trace_id);
      bool found = false;
      for (const auto& row : lin.rows) found = found || (row.table == "chunks" && row.key == "mls:1#1");
      CHECK(found);

      // Same input again: nothing changes but the lineage (the rows name the new run).
      auto s2 = run_yaml(yaml);
      REQUIRE(s2.status == "ok");
      CHECK(counter(s2, "store.chunks_unchanged") == static_cast<double>(total));
      CHECK(counter(s2, "store.chunks_inserted") == 0);
      CHECK(counter(s2, "store.chunks_removed") == 0);
      CHECK(count(*st, "SELECT COUNT(*) FROM chunks") == total);
      check_parent(*st, "doc:big", big, s2.run_id, "docs");

      // Shorter texts make fewer chunks: the rerun replaces the chunks and deletes the stale ones.
      const std::string short_listing = "Price reduced! " + listing.substr(0, 1500);
      const std::string half = big.substr(0, big.size() / 2);
      const auto old_listing = static_cast<std::int64_t>(l.size());
      const auto old_big = static_cast<std::int64_t>(chunks_of(*st, "doc:big").size());
      write_input(input, {{{"id", "mls:1"}, {"source", "listings"}, {"description", short_listing}},
                          {{"id", "doc:big"}, {"source", "docs"}, {"description", half}}});
      auto s3 = run_yaml(yaml);
      REQUIRE(s3.status == "ok");
      check_parent(*st, "mls:1", short_listing, s3.run_id, "listings");
      check_parent(*st, "doc:big", half, s3.run_id, "docs");
      const auto new_listing = static_cast<std::int64_t>(chunks_of(*st, "mls:1").size());
      const auto new_big = static_cast<std::int64_t>(chunks_of(*st, "doc:big").size());
      CHECK(new_listing < old_listing);
      CHECK(new_big < old_big);
      CHECK(counter(s3, "store.chunks_removed") == static_cast<double>(old_listing - new_listing + old_big - new_big));
      CHECK(count(*st, "SELECT COUNT(*) FROM chunks WHERE chunk_index >= chunk_count") == 0);
      // mls:2 was not in this run: its chunk stays as it was.
      CHECK(chunks_of(*st, "mls:2").size() == 1);
      CHECK(chunks_of(*st, "mls:2")[0].run_id == s2.run_id);
      CHECK(count(*st, "SELECT COUNT(*) FROM chunks") == new_listing + new_big + 1);
    }
  }
}

TEST_CASE("chunks: a record that is not a chunk is dead-lettered with the field it lacks", "[chunks]") {
  TempDir dir("bad");
  const std::string url = "sqlite:" + (dir.path / "store.db").string();
  const auto input = dir.path / "in.jsonl";
  write_input(input, {{{"id", "apn:1"}, {"description", "not cut into chunks"}},
                      {{"id", "apn:2#0"}, {"parent_id", "apn:2"}, {"chunk", {{"index", 3}, {"count", 2}, {"start", 0},
                                                                             {"end", 4}, {"text", "abcd"}}}},
                      {{"id", "apn:3#0"}, {"parent_id", "apn:3"}, {"chunk", {{"index", 0}, {"count", 1}, {"start", 0},
                                                                             {"end", 4}, {"text", "abcd"}}},
                       {"embedding", "not a vector"}},
                      {{"id", "apn:4#0"}, {"parent_id", "apn:4"}, {"chunk", {{"index", 0}, {"count", 1}, {"start", 0},
                                                                             {"end", 4}, {"text", "abcd"}}}}});
  auto s = run_yaml("name: badchunks\nstore: " + url + "\nnodes:\n  src: {type: file, path: " + input.string() +
                    "}\n  store: {type: store, inputs: [src], kind: chunks}\n  rejects: {type: dead_letter_store}\n");
  auto st = store::Store::open(url);
  // apn:4 is a chunk without an embedding: stored, its embedding NULL.
  CHECK(count(*st, "SELECT COUNT(*) FROM chunks") == 1);
  CHECK(count(*st, "SELECT COUNT(*) FROM chunks WHERE parent_id = 'apn:4' AND embedding IS NULL") == 1);
  CHECK(node(s, "store").errors == 3);
  auto reasons = st->query("SELECT record_id, reason FROM dead_letters ORDER BY record_id");
  REQUIRE(reasons.size() == 3);
  CHECK(*reasons[0][0] == "apn:1");
  CHECK(reasons[0][1]->find("parent_id") != std::string::npos);
  CHECK(*reasons[1][0] == "apn:2#0");
  CHECK(reasons[1][1]->find("chunk.index") != std::string::npos);
  CHECK(*reasons[2][0] == "apn:3#0");
  CHECK(reasons[2][1]->find("embedding") != std::string::npos);
}
