// `chunker`: one record per chunk of a long text field, for an embedder whose input window is
// smaller than the text. Each chunk keeps the link to its parent (`parent_id`) and its place in it
// (`chunk.index` of `chunk.count`, character offsets `start`/`end`), so an embedding found by
// search leads back to the property and the passage.
#include "engine/dotted_path.hpp"
#include "engine/node_type.hpp"
#include "nodes/transform/field_path.hpp"
#include "nodes/transform/text_chunks.hpp"

namespace flowrun::transform {

namespace {

struct ChunkerOptions {
  std::string field = "description";
  std::string by = "characters";
  int size = 1000;
  int overlap = 100;
  std::string boundary = "paragraph";
  std::string id_field = "id";
  std::vector<std::string> keep = {"source"};
  std::string on_missing = "skip";
};

ChunkSpec spec_of(const ChunkerOptions& o) {
  ChunkSpec s;
  s.unit = o.by == "tokens" ? ChunkSpec::Unit::tokens : ChunkSpec::Unit::characters;
  s.boundary = o.boundary == "sentence" ? ChunkSpec::Boundary::sentence
               : o.boundary == "word"   ? ChunkSpec::Boundary::word
               : o.boundary == "none"   ? ChunkSpec::Boundary::none
                                        : ChunkSpec::Boundary::paragraph;
  s.size = static_cast<std::size_t>(o.size);
  s.overlap = static_cast<std::size_t>(o.overlap);
  return s;
}

class ChunkerNode final : public ProcessNode {
 public:
  explicit ChunkerNode(const ChunkerOptions& o) : o_(o), spec_(spec_of(o)) {
    for (const auto& k : o.keep) keep_.push_back(parse_path(k));
  }

  void process(Record in, RunContext&, Emitter& out) override {
    const json::value* text = value_at(in.data, o_.field);
    if (!text || text->is_null() || (text->is_string() && text->get_string().empty())) {
      if (o_.on_missing == "error") throw RecordError(o_.field, "required", "no text to cut into chunks");
      return out.filtered();
    }
    if (!text->is_string()) throw RecordError(o_.field, "type", "a chunker cuts text, not " + kind_name(*text));
    const std::string parent = parent_id(in);
    const std::string_view whole = text->get_string();
    const auto chunks = split_text(whole, spec_);
    if (chunks.empty()) return out.filtered();  // only white space
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      Record r;
      r.env = in.env;
      r.env.source_id = in.env.source_id + "#" + std::to_string(i);
      r.data["id"] = parent + "#" + std::to_string(i);
      r.data["parent_id"] = parent;
      for (const auto& k : keep_)
        if (const auto* v = value_at(in.data, k.text)) set_path(r.data, k, *v);
      r.data["chunk"] = json::object{{"index", static_cast<std::int64_t>(i)},
                                     {"count", static_cast<std::int64_t>(chunks.size())},
                                     {"start", static_cast<std::int64_t>(chunks[i].start)},
                                     {"end", static_cast<std::int64_t>(chunks[i].end)},
                                     {"text", chunks[i].text}};
      out.emit(std::move(r));
    }
  }

 private:
  static std::string kind_name(const json::value& v) {
    switch (v.kind()) {
      case json::kind::object: return "an object";
      case json::kind::array: return "an array";
      case json::kind::bool_: return "a boolean";
      default: return "a number";
    }
  }

  std::string parent_id(const Record& in) const {
    if (const auto* v = value_at(in.data, o_.id_field)) {
      if (v->is_string()) return std::string(v->get_string());
      if (v->is_int64()) return std::to_string(v->get_int64());
      if (v->is_uint64()) return std::to_string(v->get_uint64());
    }
    if (!in.env.source_id.empty()) return in.env.source + ":" + in.env.source_id;
    throw RecordError(o_.id_field, "required", "the record has no id to link its chunks to");
  }

  ChunkerOptions o_;
  ChunkSpec spec_;
  std::vector<FieldPath> keep_;
};

}  // namespace

NodeDescriptor chunker_descriptor() {
  NodeType<ChunkerOptions> t(
      "chunker", Role::transform,
      "Cuts a long text field into overlapping chunks, one record each, for an embedder: `id` is the parent's id "
      "plus `#index`, `parent_id` links back, and `chunk` holds `index`, `count`, `start`, `end` (character "
      "offsets in the parent's text) and `text`. Cuts fall on a paragraph, else a sentence, else a word boundary "
      "in the second half of the window where there is one.");
  t.option("field", &ChunkerOptions::field, "The text field to cut (a dotted path).");
  t.option("by", &ChunkerOptions::by,
           "What `size` and `overlap` count: characters (Unicode code points), or tokens (words and punctuation "
           "marks; a model's tokenizer makes at least as many of English text).")
      .choices({"characters", "tokens"});
  t.option("size", &ChunkerOptions::size, "The most units in one chunk.").range(1, 10000000);
  t.option("overlap", &ChunkerOptions::overlap,
           "Units a chunk repeats from the end of the one before (up to; it starts at a word), so that a sentence "
           "cut in two is whole in one of them.")
      .range(0, 10000000);
  t.option("boundary", &ChunkerOptions::boundary,
           "The coarsest boundary to cut on; finer ones are tried after it, and `none` cuts where the size ends.")
      .choices({"paragraph", "sentence", "word", "none"});
  t.option("id_field", &ChunkerOptions::id_field,
           "The parent's id (a dotted path); without it, the record's source and source id.");
  t.option("keep", &ChunkerOptions::keep, "Fields of the parent copied into each chunk (dotted paths).");
  t.option("on_missing", &ChunkerOptions::on_missing,
           "A record without the text: skip (counted as filtered) or error (dead letters).")
      .choices({"skip", "error"});
  t.validate([](const ChunkerOptions& o, Check& c) {
    if (o.overlap >= o.size)
      c.error("overlap", "overlap (" + std::to_string(o.overlap) + ") must be smaller than size (" +
                             std::to_string(o.size) + "), or no chunk would move past the one before");
    for (const auto& k : o.keep)
      if (auto why = path_problem(k); !why.empty()) c.error("keep", "keep: '" + k + "': " + why);
    if (auto why = path_problem(o.field); !why.empty()) c.error("field", why);
  });
  t.create([](const ChunkerOptions& o, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<ChunkerNode>(o); });
  return t.descriptor();
}

}  // namespace flowrun::transform
