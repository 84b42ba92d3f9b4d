// `jsonl` sink: one JSON object per line.
#include "engine/context.hpp"
#include "engine/json_text.hpp"
#include "engine/node_type.hpp"
#include "nodes/file/file_sink.hpp"

namespace flowrun {

namespace {

struct JsonlOptions {
  std::string path;
  bool append = false;
  bool envelope = false;
};

class JsonlSink final : public FileSink {
 public:
  JsonlSink(const JsonlOptions& o, const NodeInfo& n) : FileSink(n.id, o.path, o.append), envelope_(o.envelope) {}
  // Without `envelope` the record is only read, so the engine hands it over uncopied; with it,
  // process() adds the envelope to its own copy (a failed write dead-letters the record as it came).
  void process_in_place(Record& in, RunContext& ctx, Emitter& out) override {
    if (envelope_) return process(in, ctx, out);
    write_line(in, out);
  }
  void process(Record in, RunContext&, Emitter& out) override {
    if (envelope_) {
      in.data["_envelope"] = json::object{{"source", in.env.source}, {"source_id", in.env.source_id}, {"trace_id", in.env.trace_id}};
      if (!in.meta.empty()) in.data["_meta"] = in.meta;
    }
    write_line(in, out);
  }

 private:
  void write_line(const Record& in, Emitter& out) {
    // One buffer per thread, kept between records: a fresh string grew three times per record.
    thread_local std::string line;
    line.clear();
    append_json(line, in.data);
    write_record(line, out);
  }

  bool envelope_;
};

}  // namespace

NodeDescriptor jsonl_sink_descriptor() {
  NodeType<JsonlOptions> t("jsonl", Role::sink, "Writes each record as one JSON object per line.");
  t.option("path", &JsonlOptions::path,
           "Output file; parent folders are created. Written beside the target and renamed into place when the run "
           "ends well: a failed run leaves the previous file as it was.")
      .required()
      .output_path();
  t.option("append", &JsonlOptions::append,
           "Add to the existing file instead of replacing it (all or nothing: a failed run appends nothing).");
  t.option("envelope", &JsonlOptions::envelope, "Add `_envelope` (source, source id, trace id) and `_meta` to each line.");
  t.create([](const JsonlOptions& o, const NodeInfo& n) { return std::make_unique<JsonlSink>(o, n); });
  return t.descriptor();
}

}  // namespace flowrun
