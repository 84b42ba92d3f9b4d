// The HTTP client's options as a typed group (engine/option_table.hpp): a node type whose options
// struct has a `ClientSettings` member includes them with `t.include(&Opts::http, http::client_table())`
// and builds its client at open() with client_options(). (The LLM endpoint uses this group; the
// source families use HttpOptions from client_options.hpp: two tables to fold into one.)
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "engine/option_table.hpp"
#include "nodes/http/http_client.hpp"

namespace flowrun {
class RunContext;
}

namespace flowrun::http {

struct ClientSettings {
  std::string user_agent;  // "" = kDefaultUserAgent
  std::chrono::milliseconds timeout{60000}, connect_timeout{10000};
  int retries = 3;
  std::chrono::milliseconds retry_base_delay{500}, retry_max_delay{30000}, max_retry_after{120000};
  std::vector<std::string> retry_statuses;  // "" = 408, 429 and 5xx except 501
  std::string rate_limit;                   // a resources.rate_limits entry
  std::vector<std::string> proxies;
  int proxy_max_failures = 3;
  std::chrono::milliseconds proxy_cooldown{60000};
};

const OptionTable<ClientSettings>& client_table();

// The client options of node `node_id` in a run: the rate limit from the run's resources, and what
// the run's settings say (cassettes, http.map / FLOWRUN_HTTP_MAP, counters under the node's id).
ClientOptions client_options(const ClientSettings& s, const std::string& node_id, RunContext& ctx);

// What the run adds to any node's client options (cassettes, URL map, counters).
void apply_run_settings(ClientOptions& o, const std::string& node_id, RunContext& ctx);

}  // namespace flowrun::http
