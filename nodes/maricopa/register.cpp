#include "nodes/maricopa/register.hpp"

#include "nodes/http/http_client.hpp"
#include "nodes/http/probe.hpp"
#include "nodes/maricopa/assessor_body.hpp"
#include "nodes/maricopa/maricopa_source.hpp"

namespace flowrun {

namespace {

// `flowrun check --env`: one search request with the node's key, the way a run starts.
std::string probe_assessor(const NodeConfig& cfg, const std::map<std::string, std::string>& settings) {
  http::ProbeRun run(cfg, settings);
  const std::string key = run.config.get_string("api_key");
  if (key.empty()) return "no api_key: set MARICOPA_API_KEY";
  http::ClientOptions o = http::probe_options(run);
  o.secrets.push_back(key);
  http::Client client(std::move(o));
  std::string base = run.config.get_string("base_url", "https://mcassessor.maricopa.gov");
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto zips = run.config.get_list("zips");
  auto queries = run.config.get_list("queries");
  const std::string q = !queries.empty() ? queries.front() : !zips.empty() ? zips.front() : "85031";
  http::Request req;
  req.url = base + "/search/" + run.config.get_string("search", "property") + "/?q=" + maricopa::url_encode(q);
  req.headers = {{"AUTHORIZATION", key}, {"Accept", "application/json"}};
  try {
    auto r = client.send(req);
    if (r.status == 200) return "";
    if (r.status == 500 && r.body.find_first_not_of(" \t\r\n") == std::string::npos)
      return "the assessor at " + base + " rejected the key (HTTP 500, empty body): check MARICOPA_API_KEY";
    return "the assessor at " + base + " answered HTTP " + std::to_string(r.status);
  } catch (const std::exception& e) {
    return "no answer from the assessor at " + base + ": " + client.redact(e.what());
  }
}

}  // namespace

void register_maricopa_nodes(Registry& registry) {
  using T = OptionType;
  NodeDescriptor d;
  d.type = "maricopa_api";
  d.role = Role::source;
  d.description =
      "Maricopa County Assessor API: searches each query (a ZIP or free text) with q=, pages 25 "
      "at a time until TOTAL rows or an empty page, fetches the chosen detail endpoints per "
      "parcel and emits one raw record per parcel as soon as it is read. Record data: the search "
      "row as the API spells it (PascalCase, incl. SubdivisonName) plus `query`, `page` and "
      "`details: {<endpoint>: <body>}`; envelope source_id = APN. A detail that answers 404, [] "
      "or null is simply absent; one that answers HTML, garbage or fails after retries is absent "
      "too and explained in meta.warnings (the parcel is still emitted). HTTP 500 with an empty "
      "body on the first request stops the source: bad or missing MARICOPA_API_KEY.";
  d.options = {
      {"base_url", T::string, "https://mcassessor.maricopa.gov", "API root (no /api/v1)"},
      {"api_key", T::secret, "", "the county's token, sent raw as AUTHORIZATION; use ${env.MARICOPA_API_KEY}",
       true},
      {"queries", T::string_list, "", "ZIP codes or free text searched with q="},
      {"zips", T::string_list, "", "ZIP codes; added to queries"},
      {"search", T::string, "property", "which search endpoint", false, {"property", "sub", "rental"}},
      {"max_pages", T::integer, "0", "pages per query at most (0 = until TOTAL)"},
      {"limit", T::integer, "0", "records in all at most (0 = no limit)"},
      {"details", T::string_list, "",
       "detail endpoints merged per parcel: valuations, residential-details, propertyinfo, address, "
       "owner-details, parcel"},
      {"body_retries", T::integer, "2", "re-fetches of a 200 whose body is damaged (not JSON, not HTML)"},
  };
  for (auto& o : http::client_option_specs()) d.options.push_back(std::move(o));
  d.blocking_io = true;
  d.probe = probe_assessor;
  d.factory = [](const NodeConfig& cfg) -> std::unique_ptr<Node> {
    return std::make_unique<maricopa::MaricopaSource>(cfg);
  };
  registry.add(std::move(d));
}

}  // namespace flowrun
