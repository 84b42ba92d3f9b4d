// The HTTP group for node families that still read a NodeConfig (llm, notify): the same table,
// bound from the raw options. Delete this file, its declarations in http_client.hpp and the
// NodeConfig ProbeRun once those families include client_option_group() in typed tables.
#include <memory>
#include <stdexcept>

#include "engine/context.hpp"
#include "nodes/http/client_options.hpp"

namespace flowrun::http {

namespace {

std::shared_ptr<const TypedSchema<HttpOptions>> schema() {
  static const auto s =
      std::make_shared<TypedSchema<HttpOptions>>(std::make_shared<OptionTable<HttpOptions>>(client_option_group()));
  return s;
}

// The group bound from a raw node config; `rate_limit` is checked against the run's resources by
// client_options(), so the binding accepts any name.
HttpOptions bind_group(const NodeConfig& cfg) {
  NodeInfo info{cfg.id(), cfg.type(), cfg.base_dir(), cfg.where()};
  YAML::Node resources(YAML::NodeType::Map);
  if (cfg.raw().IsMap() && cfg.raw()["rate_limit"] && cfg.raw()["rate_limit"].IsScalar())
    resources["rate_limits"][cfg.raw()["rate_limit"].Scalar()] = YAML::Node(YAML::NodeType::Map);
  Diagnostics diags;
  BindContext ctx{info, resources, diags, cfg.where().file};
  BoundOptions b = schema()->bind(cfg.raw(), ctx);
  schema()->validate(b, info, diags);
  if (diags.has_errors()) throw std::invalid_argument(diags.all().front().message);
  return b.as<HttpOptions>();
}

}  // namespace

std::vector<OptionSpec> client_option_specs() { return schema()->specs(); }

ClientOptions client_options_from(const NodeConfig& cfg, RunContext& ctx) {
  NodeInfo info{cfg.id(), cfg.type(), cfg.base_dir(), cfg.where()};
  return client_options(bind_group(cfg), info, ctx);
}

}  // namespace flowrun::http
