#include "nodes/maricopa/register.hpp"

#include "engine/node_type.hpp"
#include "nodes/http/client_options.hpp"
#include "nodes/http/http_client.hpp"
#include "nodes/maricopa/assessor_body.hpp"
#include "nodes/maricopa/maricopa_source.hpp"

namespace flowrun {

namespace {

using maricopa::MaricopaOptions;

// `flowrun check --env`: one search request with the node's key, the way a run starts.
std::string probe_assessor(const MaricopaOptions& o, const NodeInfo& node, const Settings& settings) {
  if (o.api_key.find_first_not_of(" \t\r\n") == std::string::npos) return "no api_key: set MARICOPA_API_KEY";
  http::ClientOptions co = http::probe_client_options(o.http, node, settings);
  co.secrets.push_back(o.api_key);
  http::Client client(std::move(co));
  const std::string base = o.root();
  auto queries = o.all_queries();
  const std::string q = queries.empty() ? "85031" : queries.front();
  http::Request req;
  req.url = base + "/search/" + o.search + "/?q=" + maricopa::url_encode(q);
  req.headers = {{"AUTHORIZATION", o.api_key}, {"Accept", "application/json"}};
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

void check_options(const MaricopaOptions& o, Check& check) {
  const std::string root = o.root();
  if (root.rfind("http://", 0) != 0 && root.rfind("https://", 0) != 0)
    check.error("base_url", "must start with http:// or https://, got '" + o.base_url + "'");
  if (o.all_queries().empty())
    check.error(check.given("zips") ? "zips" : "queries", "needs at least one entry in queries (or zips)");
}

}  // namespace

void register_maricopa_nodes(Registry& registry) {
  using O = MaricopaOptions;
  NodeType<O> t("maricopa_api", Role::source,
                "Maricopa County Assessor API: searches each query (a ZIP or free text) with q=, pages 25 "
                "at a time until TOTAL rows or an empty page, fetches the chosen detail endpoints per "
                "parcel and emits one raw record per parcel as soon as it is read. Record data: the search "
                "row as the API spells it (PascalCase, incl. SubdivisonName) plus `query`, `page` and "
                "`details: {<endpoint>: <body>}`; envelope source_id = APN. A detail that answers 404, [] "
                "or null is simply absent; one that answers HTML, garbage or fails after retries is absent "
                "too and explained in meta.warnings (the parcel is still emitted). HTTP 500 with an empty "
                "body on the first request stops the source: bad or missing MARICOPA_API_KEY.");
  t.option("base_url", &O::base_url, "API root (no /api/v1)");
  t.option("api_key", &O::api_key,
           "the county's token, sent raw as AUTHORIZATION; use ${env.MARICOPA_API_KEY} (needed only to run)")
      .required()
      .secret();
  t.option("queries", &O::queries, "ZIP codes or free text searched with q=");
  t.option("zips", &O::zips, "ZIP codes; added to queries");
  t.option("search", &O::search, "which search endpoint").choices({"property", "sub", "rental"});
  t.option("max_pages", &O::max_pages, "pages per query at most (0 = until TOTAL)").at_least(0);
  t.option("limit", &O::limit, "records in all at most (0 = no limit)").at_least(0);
  t.option("details", &O::details, "detail endpoints merged per parcel").choices(maricopa::detail_names());
  t.option("body_retries", &O::body_retries, "re-fetches of a 200 whose body is damaged (not JSON, not HTML)")
      .at_least(0);
  t.option("checkpoints", &O::checkpoints,
           "record every answer and the last page per query in the pipeline's store, so that a rerun of the same "
           "run id or `flowrun run --resume` asks the county only for what it has not answered yet");
  t.option("refresh_after", &O::refresh_after,
           "a detail fetched less than this long ago (by any crawl) is not fetched again, e.g. 7d; older ones are "
           "revalidated with ETag / Last-Modified when the server gave them (0 = fetch every crawl)");
  t.include(&O::http, http::client_option_group());
  t.validate(check_options);
  t.blocking_io();
  t.check_env(probe_assessor);
  t.create([](const O& o, const NodeInfo& n) { return std::make_unique<maricopa::MaricopaSource>(o, n); });
  registry.add(t.descriptor());
}

}  // namespace flowrun
