// `jsonl` sink: one JSON object per line.
#include "engine/json_text.hpp"
#include "engine/context.hpp"
#include "engine/registry.hpp"
#include "nodes/file/output_file.hpp"

namespace flowrun {

namespace {

class JsonlSink : public ProcessNode {
 public:
  explicit JsonlSink(const NodeConfig& c)
      : path_(c.get_path("path")), append_(c.get_bool("append")), envelope_(c.get_bool("envelope")) {}
  void open(RunContext&) override { file_ = std::make_unique<OutputFile>(path_, append_); }
  void process(Record in, RunContext&, Emitter&) override {
    if (envelope_) {
      in.data["_envelope"] = json::object{{"source", in.env.source}, {"source_id", in.env.source_id}, {"trace_id", in.env.trace_id}};
      if (!in.meta.empty()) in.data["_meta"] = in.meta;
    }
    file_->write_line(to_json_text(in.data));
  }
  void close(RunContext&, Emitter&) override { file_->flush(); }

 private:
  std::string path_;
  bool append_, envelope_;
  std::unique_ptr<OutputFile> file_;
};

}  // namespace

NodeDescriptor jsonl_sink_descriptor() {
  NodeDescriptor d;
  d.type = "jsonl";
  d.role = Role::sink;
  d.description = "Writes each record as one JSON object per line.";
  d.options = {
      {"path", OptionType::path, "", "Output file; parent folders are created.", true, {}},
      {"append", OptionType::boolean, "false", "Append instead of truncating.", false, {}},
      {"envelope", OptionType::boolean, "false", "Add `_envelope` (source, source id, trace id) and `_meta` to each line.", false, {}},
  };
  d.factory = [](const NodeConfig& c) { return std::make_unique<JsonlSink>(c); };
  return d;
}

}  // namespace flowrun
