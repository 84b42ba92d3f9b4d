#include "nodes/http/probe.hpp"

#include <algorithm>

namespace flowrun::http {

namespace {

NodeConfig without_rate_limit(const NodeConfig& cfg) {
  YAML::Node options = YAML::Clone(cfg.raw());
  if (options.IsMap()) options.remove("rate_limit");
  return NodeConfig(cfg.id(), cfg.type(), options, cfg.base_dir(), cfg.where());
}

std::map<std::string, std::string> live(std::map<std::string, std::string> settings) {
  settings.erase("http.record");
  settings.erase("http.replay");
  return settings;
}

}  // namespace

ProbeRun::ProbeRun(const NodeConfig& cfg, const std::map<std::string, std::string>& settings)
    : config(without_rate_limit(cfg)),
      resources(Resources::from_yaml(YAML::Node(YAML::NodeType::Map))),
      ctx(std::make_unique<RunContext>("check-env", "check-env", *resources, live(settings))) {}

ClientOptions probe_options(ProbeRun& run) {
  ClientOptions o = client_options_from(run.config, *run.ctx);
  o.retry.max_attempts = 1;
  o.connect_timeout = std::min(o.connect_timeout, std::chrono::milliseconds(5000));
  o.timeout = std::min(o.timeout, std::chrono::milliseconds(10000));
  o.rate_limit = nullptr;
  return o;
}

}  // namespace flowrun::http
