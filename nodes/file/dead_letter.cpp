// `dead_letter` sink: every record that failed, with the node, port and reason, as JSON Lines.
// Error ports that no node consumes are routed here by the engine.
#include "engine/context.hpp"
#include "engine/json_text.hpp"
#include "engine/node_type.hpp"
#include "nodes/file/file_sink.hpp"

namespace flowrun {

namespace {

struct DeadLetterOptions {
  std::string path = "out/dead_letters.jsonl";
  bool append = false;
};

class DeadLetterSink final : public FileSink {
 public:
  DeadLetterSink(const DeadLetterOptions& o, const NodeInfo& n) : FileSink(n.id, o.path, o.append) {}
  void process(Record in, RunContext& ctx, Emitter& out) override {
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
    write_record(to_json_text(line), out);
  }
  const char* what() const override { return "dead letters"; }
};

}  // namespace

NodeDescriptor dead_letter_descriptor() {
  NodeType<DeadLetterOptions> t("dead_letter", Role::sink,
                                "Writes failed records with node, port, reason (and field/rule when known) as JSON Lines. "
                                "Error ports nobody consumes are routed to the pipeline's dead-letter node; one is added "
                                "(id `dead_letters`, default path) when the pipeline declares none.");
  t.option("path", &DeadLetterOptions::path,
           "Output file (relative to the pipeline's folder); renamed into place when the run ends well.")
      .output_path();
  t.option("append", &DeadLetterOptions::append, "Add to the existing file instead of replacing it (all or nothing).");
  t.dead_letter();
  t.create([](const DeadLetterOptions& o, const NodeInfo& n) { return std::make_unique<DeadLetterSink>(o, n); });
  return t.descriptor();
}

}  // namespace flowrun
