// `dead_letter` sink: every record that failed, with the node, port and reason, as JSON Lines.
// Error ports that no node consumes are routed here by the engine.
#include "engine/json_text.hpp"
#include "engine/context.hpp"
#include "engine/registry.hpp"
#include "nodes/file/output_file.hpp"

namespace flowrun {

namespace {

class DeadLetterSink : public ProcessNode {
 public:
  explicit DeadLetterSink(const NodeConfig& c) : path_(c.get_path("path")) {}
  void open(RunContext&) override { file_ = std::make_unique<OutputFile>(path_, false); }
  void process(Record in, RunContext& ctx, Emitter&) override {
    json::object line{{"run_id", ctx.run_id()},
                      {"trace_id", in.env.trace_id},
                      {"source", in.env.source},
                      {"source_id", in.env.source_id}};
    if (auto* e = in.meta.if_contains("error"); e && e->is_object()) {
      for (const auto& kv : e->as_object()) line[kv.key()] = kv.value();
      if (auto* m = e->as_object().if_contains("message")) line["reason"] = *m;
      line.erase("message");
    }
    if (auto* v = in.data.if_contains("validation"); v && !line.contains("reason")) line["reason"] = *v;
    if (!line.contains("reason"))
      line["reason"] = "sent to port '" + std::string(line.contains("port") ? line["port"].as_string().c_str() : "?") +
                       "' by node '" + std::string(line.contains("node") ? line["node"].as_string().c_str() : "?") + "'";
    line["record"] = std::move(in.data);
    file_->write_line(to_json_text(line));
  }
  void close(RunContext&, Emitter&) override { file_->flush(); }

 private:
  std::string path_;
  std::unique_ptr<OutputFile> file_;
};

}  // namespace

NodeDescriptor dead_letter_descriptor() {
  NodeDescriptor d;
  d.type = "dead_letter";
  d.role = Role::sink;
  d.dead_letter = true;
  d.description = "Writes failed records with node, port, reason (and field/rule when known) as JSON Lines. "
                  "Error ports nobody consumes are routed to the pipeline's dead-letter node; one is added "
                  "(id `dead_letters`, default path) when the pipeline declares none.";
  d.options = {
      {"path", OptionType::path, "\"out/dead_letters.jsonl\"", "Output file; parent folders are created.", false, {}},
  };
  d.factory = [](const NodeConfig& c) { return std::make_unique<DeadLetterSink>(c); };
  return d;
}

}  // namespace flowrun
