// The HTTP option group as a node includes it: bound and checked by the node's table, turned into
// client options, headers sent.
#include <catch2/catch.hpp>

#include "engine/context.hpp"
#include "engine/node_type.hpp"
#include "loopback_server.hpp"
#include "nodes/http/client_options.hpp"

using namespace flowrun;
using flowrun::testing::LoopbackServer;

namespace {

struct FetchOptions {
  std::string url;
  http::HttpOptions http{.timeout = std::chrono::seconds(120), .retries = 1};  // a node's own defaults
};

// A node that records the client options it would use, and fetches its URL once.
struct FetchNode : SourceNode {
  FetchOptions o;
  NodeInfo info;
  inline static http::ClientOptions last;
  inline static long status = 0;
  FetchNode(const FetchOptions& o, const NodeInfo& n) : o(o), info(n) {}
  void run(RunContext& ctx, Emitter&) override {
    last = http::client_options(o.http, info, ctx);
    http::Client client(last);
    status = client.get(o.url, {{"X-Own", "request"}}).status;
  }
};

NodeDescriptor fetch_type() {
  NodeType<FetchOptions> t("fetch", Role::source, "test");
  t.option("url", &FetchOptions::url, "what to get");
  t.include(&FetchOptions::http, http::client_option_group());
  t.create([](const FetchOptions& o, const NodeInfo& n) { return std::make_unique<FetchNode>(o, n); });
  return t.descriptor();
}

struct NullEmitter : Emitter {
  void emit(std::string_view, Record) override {}
  void filtered() override {}
};

}  // namespace

TEST_CASE("the HTTP group: defaults from the including node, values bound, headers sent") {
  const auto d = fetch_type();
  auto spec = [&](const std::string& name) {
    for (const auto& s : d.option_specs())
      if (s.name == name) return s;
    FAIL("no option " << name);
    return OptionSpec{};
  };
  CHECK(spec("timeout").default_value == "2m");
  CHECK(spec("retries").default_value == "1");
  CHECK(spec("connect_timeout").default_value == "10s");
  CHECK(spec("rate_limit").type == OptionType::rate_limit);

  LoopbackServer s;
  std::string seen_agent, seen_own, seen_extra;
  s.svr.Get("/x", [&](const httplib::Request& req, httplib::Response& res) {
    seen_agent = req.get_header_value("User-Agent");
    seen_own = req.get_header_value("X-Own");
    seen_extra = req.get_header_value("X-Extra");
    res.set_content("ok", "text/plain");
  });
  s.start();
  YAML::Node resources = YAML::Load("{rate_limits: {site: {count: 10, per: 1s}}}");
  auto node = make_node(d, "f",
                        YAML::Load("{url: '" + s.url("/x") +
                                   "', user_agent: tester/1, headers: {X-Extra: yes, X-Own: group}, retries: 5, "
                                   "retry_statuses: [503], rate_limit: site}"),
                        "", resources);
  auto res = Resources::from_yaml(resources);
  RunContext ctx("t", "run-1", *res, {});
  NullEmitter out;
  dynamic_cast<SourceNode&>(*node).run(ctx, out);
  CHECK(FetchNode::status == 200);
  CHECK(seen_agent == "tester/1");
  CHECK(seen_extra == "yes");
  CHECK(seen_own == "request");  // a request's own header wins over the group's
  CHECK(FetchNode::last.retry.max_attempts == 6);
  CHECK(FetchNode::last.retry.retry_statuses == std::set<long>{503});
  CHECK(FetchNode::last.timeout == std::chrono::seconds(120));
  CHECK(FetchNode::last.rate_limit != nullptr);
}

TEST_CASE("the HTTP group's checks: ranges, statuses and undeclared rate limits are errors") {
  const auto d = fetch_type();
  auto error_of = [&](const std::string& yaml) {
    try {
      make_node(d, "f", YAML::Load(yaml));
    } catch (const PipelineError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error_of("{retries: -1}"), Catch::Contains("'retries' must be from 0 to 100"));
  CHECK_THAT(error_of("{retry_statuses: [abc]}"), Catch::Contains("'abc' is not an HTTP status"));
  CHECK_THAT(error_of("{rate_limit: nope}"), Catch::Contains("undefined resource 'nope'"));
  CHECK_THAT(error_of("{timeout: soon}"), Catch::Contains("a duration"));
  CHECK(error_of("{retries: 0, retry_statuses: [429, 503]}").empty());
}
