// What `flowrun check --env` needs to ask a node's server one quick question outside a run, for
// families that still read a NodeConfig (llm); typed nodes use http::probe_client_options().
#pragma once
#include <map>
#include <memory>
#include <string>

#include "engine/context.hpp"
#include "engine/options.hpp"
#include "engine/resources.hpp"
#include "nodes/http/http_client.hpp"

namespace flowrun::http {

// A stand-in for the run a probe is not part of: the node's config without `rate_limit` (the
// run's resources are not built for a check), and a RunContext with the given settings minus
// cassettes (a check asks the real server). Keep it alive as long as anything built from it.
struct ProbeRun {
  ProbeRun(const NodeConfig& cfg, const std::map<std::string, std::string>& settings);
  NodeConfig config;
  std::unique_ptr<Resources> resources;
  std::unique_ptr<RunContext> ctx;
};

// The node's HTTP options (user agent, proxies, FLOWRUN_HTTP_MAP ...) for one quick attempt:
// no retries, at most 5 s to connect and 10 s in all.
ClientOptions probe_options(ProbeRun& run);

}  // namespace flowrun::http
