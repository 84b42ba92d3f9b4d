// The graph one config test runs on (engine/config_test_graph.hpp).
#include "engine/config_test_graph.hpp"

#include <algorithm>
#include <set>

#include "engine/context.hpp"
#include "engine/node_type.hpp"

namespace flowrun::config_test {

namespace {

// Types of the synthetic nodes; the leading underscores keep them out of any real registry.
const char* const kInputType = "__config_test_input";
const char* const kCaptureType = "__config_test_capture";
const char* const kStubType = "__config_test_stub";

class InputSource : public SourceNode {
 public:
  explicit InputSource(std::vector<const InputSpec*> in) : in_(std::move(in)) {}
  void run(RunContext& ctx, Emitter& out) override {
    for (const InputSpec* in : in_)
      for (std::size_t i = 0; i < in->records.size() && !ctx.stopping(); ++i) {
        Record r(in->records[i]);
        r.env.source = in->source.empty() ? in->node : in->source;
        r.env.source_id = "#" + std::to_string(i + 1);
        out.emit(std::move(r));
      }
  }

 private:
  std::vector<const InputSpec*> in_;
};

class CaptureSink : public ProcessNode {
 public:
  explicit CaptureSink(std::shared_ptr<Capture> c) : c_(std::move(c)) {}
  void process(Record in, RunContext&, Emitter&) override {
    std::lock_guard lock(c_->mu);
    c_->records.push_back(std::move(in));
  }

 private:
  std::shared_ptr<Capture> c_;
};

class Passthrough : public ProcessNode {
 public:
  void process(Record in, RunContext&, Emitter& out) override { out.emit(std::move(in)); }
};

struct NoOptions {};

GraphNode synthetic(const std::string& id, const char* type, const Registry& synth, const Location& where,
                    int buffer) {
  GraphNode n;
  n.buffer = buffer;  // 0 would make every emit wait forever
  n.id = id;
  n.type = type;
  n.desc = synth.find(type);
  n.where = where;
  n.info = NodeInfo{id, type, "", where};
  n.options.value = std::make_shared<NoOptions>();
  return n;
}

// Checks that a reference names a node and one of its ports; says what exists when not.
bool check_ref(const Graph& g, const PortRef& r, const std::string& what, Diagnostics& diags) {
  const GraphNode* n = g.find(r.node);
  if (!n) {
    std::vector<std::string> ids;
    for (const auto& x : g.nodes) ids.push_back(x.id);
    std::string hint = closest_match(r.node, ids);
    diags.error(r.where, what + " '" + r.str() + "' names no node of the pipeline" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    return false;
  }
  auto ports = n->ports();
  if (std::find(ports.begin(), ports.end(), r.port) == ports.end()) {
    std::string all;
    for (const auto& p : ports) all += (all.empty() ? "" : ", ") + p;
    diags.error(r.where, what + " '" + r.str() + "': node '" + n->id + "' (" + n->type + ") has no port '" + r.port + "'; its ports are " + all);
    return false;
  }
  return true;
}

}  // namespace

void register_synthetic(Registry& reg, TestState& st) {
  NodeType<NoOptions> in(kInputType, Role::source, "config test: emits the records of an `inputs:` entry");
  in.create([&st](const NoOptions&, const NodeInfo& n) -> std::unique_ptr<Node> {
    return std::make_unique<InputSource>(st.inputs.at(n.id));
  });
  reg.add(in.descriptor());
  NodeType<NoOptions> cap(kCaptureType, Role::sink, "config test: keeps every record it receives");
  cap.create([&st](const NoOptions&, const NodeInfo& n) -> std::unique_ptr<Node> {
    auto& slot = st.captures[n.id];
    if (!slot) slot = std::make_shared<Capture>();
    return std::make_unique<CaptureSink>(slot);
  });
  reg.add(cap.descriptor());
  NodeType<NoOptions> stub(kStubType, Role::transform, "config test: passes records through unchanged (a node named in `stub:`)");
  stub.create([](const NoOptions&, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<Passthrough>(); });
  reg.add(stub.descriptor());
}

std::optional<TestGraph> build_test_graph(const Graph& g, const TestSpec& t, const Registry& synth, TestState& st,
                                          Diagnostics& diags) {
  bool ok = true;
  const std::string what = "test '" + t.name + "'";
  std::set<std::string> insert_at, stubs;
  for (const auto& in : t.inputs) {
    PortRef r{in.node, "out", in.where};
    ok = check_ref(g, r, what + ": insert_at", diags) && ok;
    insert_at.insert(in.node);
  }
  for (const auto& s : t.stubs) {
    ok = check_ref(g, s, what + ": stub", diags) && ok;
    if (const auto* n = g.find(s.node); n && n->role() != Role::transform) {
      diags.error(s.where, what + ": stub '" + s.node + "' is a " + to_string(n->role()) + "; sources and sinks are stubbed already");
      ok = false;
    }
    stubs.insert(s.node);
  }
  for (const auto& o : t.outputs) ok = check_ref(g, o.at, what + (o.none ? ": no_output_from" : ": extract_from"), diags) && ok;
  if (!ok) return std::nullopt;

  // What the inserted records can reach, through any port.
  const int count = static_cast<int>(g.nodes.size());
  std::vector<bool> keep(count, false);
  std::vector<int> stack;
  for (const auto& id : insert_at) stack.push_back(g.index_of(id)), keep[g.index_of(id)] = true;
  while (!stack.empty()) {
    int v = stack.back();
    stack.pop_back();
    for (const auto& port : g.nodes[v].ports())
      for (int c : g.consumers(v, port))
        if (!keep[c]) keep[c] = true, stack.push_back(c);
  }

  TestGraph tg;
  Graph& ng = tg.graph;
  ng.name = g.name;
  ng.file = g.file;
  ng.default_buffer = g.default_buffer;
  ng.resources = g.resources;
  ng.settings = g.settings;
  ng.secrets = g.secrets;
  std::set<std::string> kept;
  for (int i = 0; i < count; ++i)
    if (keep[i]) kept.insert(g.nodes[i].id);

  for (int i = 0; i < count; ++i) {
    if (!keep[i]) continue;
    GraphNode n = g.nodes[i];
    const bool inserted = insert_at.count(n.id) > 0;
    std::erase_if(n.inputs, [&](const PortRef& r) { return !kept.count(r.node); });
    std::erase_if(n.after, [&](const PortRef& r) { return !kept.count(r.node); });
    if (inserted && n.role() == Role::source) {
      // records inserted at a source come out of it as if it had produced them
      GraphNode s = synthetic(n.id, kInputType, synth, n.where, ng.default_buffer);
      ng.nodes.push_back(std::move(s));
      continue;
    }
    if (inserted) {
      const std::string src = "__input_" + n.id;
      ng.nodes.push_back(synthetic(src, kInputType, synth, n.where, ng.default_buffer));
      n.inputs.push_back(PortRef{src, "out", n.where});
    }
    if (n.role() == Role::sink) {
      GraphNode c = synthetic(n.id, kCaptureType, synth, n.where, ng.default_buffer);
      c.inputs = n.inputs;
      c.after = n.after;
      n = std::move(c);
    } else if (stubs.count(n.id)) {
      GraphNode c = synthetic(n.id, kStubType, synth, n.where, ng.default_buffer);
      c.inputs = n.inputs;
      c.after = n.after;
      c.concurrency = n.concurrency;
      n = std::move(c);
    }
    ng.nodes.push_back(std::move(n));
  }
  for (const auto& in : t.inputs)
    st.inputs[ng.find("__input_" + in.node) ? "__input_" + in.node : in.node].push_back(&in);

  // Capture points: a sink captures what it receives; any other port gets a capture node.
  for (std::size_t k = 0; k < t.outputs.size(); ++k) {
    const auto& o = t.outputs[k];
    if (!kept.count(o.at.node)) {
      if (!o.none) {
        std::string ins;
        for (const auto& id : insert_at) ins += (ins.empty() ? "" : ", ") + id;
        diags.error(o.at.where, what + ": extract_from '" + o.at.str() + "' is not downstream of any insert_at node (" + ins +
                                    "), so no record could reach it");
        ok = false;
      }
      tg.capture_of[k] = "";
      continue;
    }
    const GraphNode* n = ng.find(o.at.node);
    if (n->type == kCaptureType && o.at.port == "out") {
      tg.capture_of[k] = n->id;
      continue;
    }
    const std::string id = "__capture_" + std::to_string(k);
    GraphNode c = synthetic(id, kCaptureType, synth, o.at.where, ng.default_buffer);
    c.inputs.push_back(o.at);
    ng.nodes.push_back(std::move(c));
    tg.capture_of[k] = id;
  }
  // Drop edges from ports a replaced node no longer has (a stubbed validator's `rejected`).
  for (auto& n : ng.nodes)
    std::erase_if(n.inputs, [&](const PortRef& r) {
      const GraphNode* p = ng.find(r.node);
      if (!p) return true;
      auto ports = p->ports();
      return std::find(ports.begin(), ports.end(), r.port) == ports.end();
    });
  if (!ok) return std::nullopt;
  return tg;
}

}  // namespace flowrun::config_test
