// `route`: named outputs, each with a condition. A record goes to the first route whose condition
// is true (`mode: all`: to every one), or to `unmatched`. Routes and `unmatched` that no node
// consumes count their records as filtered.
#include <cctype>

#include "engine/node_type.hpp"
#include "nodes/transform/transform_options.hpp"

namespace flowrun::transform {

namespace {

struct RouteOptions {
  std::vector<NamedExpr> routes;
  std::string mode = "first";
  Limits limits;
};

// out, errors and unmatched come with every route node.
constexpr int kMaxRoutes = kMaxOutputPorts - 3;

std::shared_ptr<const std::vector<Chunk>> chunks_of(const RouteOptions& o) {
  std::vector<Chunk> c;
  for (const auto& r : o.routes) c.push_back({r.expr, ChunkKind::condition});
  return std::make_shared<const std::vector<Chunk>>(std::move(c));
}

std::string name_problem(const std::string& name) {
  if (name == "out" || name == "errors" || name == "unmatched") return "is a port every route node has already";
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return "must start with a letter or '_'";
  for (char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
      return "may hold only letters, digits, '_' and '-' (it becomes the port in `inputs: [node." + name + "]`)";
  return "";
}

void check_routes(const RouteOptions& o, Check& c) {
  if (o.routes.empty()) c.error("routes", "needs at least one route (name: condition)");
  if (static_cast<int>(o.routes.size()) > kMaxRoutes)
    c.error("routes", "has " + std::to_string(o.routes.size()) + " routes; a route node supports at most " +
                          std::to_string(kMaxRoutes) + " (split them over two route nodes, the second fed by `unmatched`)");
  for (const auto& r : o.routes)
    if (auto why = name_problem(r.name); !why.empty())
      c.error_at(r.name_at, "node '" + c.node().id + "': route name '" + r.name + "' " + why);
  check_compiles(*chunks_of(o), o.limits, c);
}

class RouteNode : public ProcessNode {
 public:
  explicit RouteNode(const RouteOptions& o) : programs_(chunks_of(o), o.limits), all_(o.mode == "all") {
    for (const auto& r : o.routes) names_.push_back(r.name);
  }

  void process(Record in, RunContext&, Emitter& out) override {
    std::vector<std::size_t> hits;
    {
      auto program = programs_.acquire();
      for (std::size_t i = 0; i < names_.size(); ++i)
        if (program->test(i, in.data)) {
          hits.push_back(i);
          if (!all_) break;
        }
    }
    bool sent = false;
    for (std::size_t k = 0; k < hits.size(); ++k) {
      const std::string& port = names_[hits[k]];
      if (!out.consumed(port)) continue;
      out.emit(port, k + 1 == hits.size() ? std::move(in) : Record(in));
      sent = true;
    }
    if (hits.empty() && out.consumed("unmatched")) out.emit("unmatched", std::move(in)), sent = true;
    if (!sent) out.filtered();
  }

 private:
  ProgramPool programs_;
  bool all_;
  std::vector<std::string> names_;
};

}  // namespace

NodeDescriptor route_descriptor() {
  NodeType<RouteOptions> t("route", Role::transform,
                           "Sends each record to the named output whose Lua condition is true: the first one, or every "
                           "one with `mode: all`; records no condition matches go to `unmatched`. Consume a route as "
                           "`inputs: [node.name]`. A record a condition fails on goes to `errors`.");
  t.custom_option(
       "routes", OptionType::object,
       "Map of route name to Lua condition, tried in file order, e.g. `{commercial: property_type == \"commercial\", "
       "homes: beds ~= nil}`. Each name becomes an output port (at most 13).",
       [](RouteOptions& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
         return read_named_expressions(o.routes, v, s, c);
       },
       [](const RouteOptions& o) { return show_names(o.routes); })
      .required();
  t.option("mode", &RouteOptions::mode, "`first`: the first matching route only; `all`: a copy to every matching route.")
      .choices({"first", "all"});
  t.include(&RouteOptions::limits, limit_options());
  t.data_ports({"unmatched"});
  t.no_out_port();  // a record leaves by the route it matched, or by `unmatched`
  t.passes_fields();
  t.instance_ports([](const RouteOptions& o) {
    std::vector<std::string> ports;
    for (const auto& r : o.routes) ports.push_back(r.name);
    return ports;
  });
  t.validate(check_routes);
  t.create([](const RouteOptions& o, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<RouteNode>(o); });
  return t.descriptor();
}

}  // namespace flowrun::transform
