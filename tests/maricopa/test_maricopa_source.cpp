// The maricopa_api source against the fake assessor over loopback HTTP.
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "engine/context.hpp"
#include "engine/registry.hpp"
#include "engine/resources.hpp"
#include "nodes/maricopa/assessor_body.hpp"
#include "nodes/maricopa/register.hpp"
#include "tools/fixtures/assessor/assessor_server.hpp"
#include "tests/shared/temp_dir.hpp"

using namespace flowrun;
using namespace flowrun::fixtures;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

class Collect : public Emitter {
 public:
  using Emitter::emit;
  void emit(std::string_view port, Record r) override {
    std::lock_guard lock(mu_);
    ports_[std::string(port)].push_back(std::move(r));
    if (first_) {
      first_ = false;
      first_record_.set_value();
    }
    cv_.notify_all();
  }
  void filtered() override {}
  std::vector<Record> out(const std::string& port = "out") {
    std::lock_guard lock(mu_);
    return ports_[port];
  }
  std::size_t count(const std::string& port = "out") {
    std::lock_guard lock(mu_);
    return ports_[port].size();
  }
  std::shared_future<void> first_record() { return first_future_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<Record>> ports_;
  bool first_ = true;
  std::promise<void> first_record_;
  std::shared_future<void> first_future_ = first_record_.get_future().share();
};

const NodeDescriptor& descriptor() {
  static Registry reg = [] {
    Registry r;
    register_maricopa_nodes(r);
    return r;
  }();
  return *reg.find("maricopa_api");
}

// The node as the loader makes it: options bound and checked by the type's table.
std::unique_ptr<Node> build(const std::string& yaml) { return make_node(descriptor(), "assessor", YAML::Load(yaml)); }

std::string base_yaml(const AssessorServer& s, const std::string& extra = "") {
  return "{base_url: '" + s.base_url() + "', api_key: fixture-key, retry_base_delay: 1ms, retry_max_delay: 5ms, " +
         extra + "}";
}

struct Harness {
  Resources resources;
  RunContext ctx;
  Collect out;
  explicit Harness(std::map<std::string, std::string> settings = {})
      : ctx("test", "run-1", resources, std::move(settings)) {}
  // Runs the source to its end; returns the FatalError message, or "" when it ended normally.
  std::string run(const std::string& yaml) {
    auto node = build(yaml);
    auto* src = dynamic_cast<SourceNode*>(node.get());
    REQUIRE(src);
    node->open(ctx);
    try {
      src->run(ctx, out);
    } catch (const FatalError& e) {
      return e.what();
    }
    return "";
  }
};

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

using flowrun::testing::TempDir;

}  // namespace

TEST_CASE("body quirks: 404, empty, [] and null are absent, HTML and garbage are not data") {
  using namespace flowrun::maricopa;
  CHECK(classify_body(404, "").kind == BodyKind::absent);
  CHECK(classify_body(200, "  ").kind == BodyKind::absent);
  CHECK(classify_body(200, "[]").kind == BodyKind::absent);
  CHECK(classify_body(200, "null").kind == BodyKind::absent);
  CHECK(classify_body(200, "<!DOCTYPE html><html></html>").kind == BodyKind::html);
  CHECK(classify_body(200, "\x1f\x8b\x08garbage").kind == BodyKind::garbage);
  CHECK(classify_body(200, "{\"TOTAL\":1").kind == BodyKind::garbage);  // truncated
  auto b = classify_body(200, "[{\"TaxYear\":\"2025\"}]");
  CHECK(b.kind == BodyKind::data);
  CHECK(b.value.as_array().size() == 1);
  CHECK(read_total(json::parse(R"({"TOTAL":6632})").as_object()) == 6632);
  CHECK(read_total(json::parse(R"({"TOTAL":"13097"})").as_object()) == 13097);
  CHECK(read_total(json::parse(R"({"Results":[]})").as_object()) == -1);
  CHECK(url_encode("4027 N 55TH AVE") == "4027%20N%2055TH%20AVE");
  CHECK(url_encode("103-06-005") == "103-06-005");
}

TEST_CASE("options are checked when the node is built") {
  CHECK_THROWS_WITH(build("{api_key: k, queries: [85031], details: [valuation]}"),
                    Catch::Contains("valuation") && Catch::Contains("residential-details") &&
                        Catch::Contains("did you mean 'valuations'"));
  CHECK_THROWS_WITH(build("{api_key: k}"), Catch::Contains("queries"));
  CHECK_THROWS_WITH(build("{api_key: k, queries: ['  ']}"), Catch::Contains("at least one entry"));
  CHECK_THROWS_WITH(build("{api_key: k, queries: [x], search: parcels}"), Catch::Contains("search"));
  CHECK_THROWS_WITH(build("{api_key: k, queries: [x], base_url: 'ftp://x'}"), Catch::Contains("http://"));
  CHECK_THROWS_WITH(build("{api_key: k, queries: [x], max_pages: -1}"), Catch::Contains("at least 0"));
  CHECK_THROWS_WITH(build("{queries: [x]}"), Catch::Contains("missing required option 'api_key'"));
  CHECK_NOTHROW(build("{api_key: k, zips: ['85031']}"));
  CHECK(descriptor().role == Role::source);
  CHECK(descriptor().blocking_io);
}

TEST_CASE("pages to TOTAL: one record per parcel, with provenance") {
  AssessorServer s;
  s.start();
  Harness h;
  CHECK(h.run(base_yaml(s, "queries: ['85031', '85033']")) == "");
  auto recs = h.out.out();
  REQUIRE(recs.size() == static_cast<std::size_t>(s.total_for("85031") + s.total_for("85033")));
  CHECK(recs.size() == 120);
  // 60 parcels = pages of 25, 25, 10: TOTAL is reached on page 3, so no 4th request.
  CHECK(s.requests("/search/property/") == 6);
  std::set<std::string> ids;
  for (const auto& r : recs) {
    ids.insert(r.env.source_id);
    CHECK(r.env.source_id == str(r.data.at("APN")));
    CHECK(r.env.source == "assessor");
    CHECK(r.data.at("details").as_object().empty());
  }
  CHECK(ids.size() == 120);
  CHECK(str(recs[0].data.at("query")) == "85031");
  CHECK(recs[0].data.at("page") == 1);
  CHECK(recs[59].data.at("page") == 3);
  CHECK(str(recs[60].data.at("query")) == "85033");
  CHECK(str(recs[0].data.at("APN")) == s.data().zip("85031")[0].apn);
}

TEST_CASE("limit and max_pages stop early without asking for more") {
  AssessorServer s;
  s.start();
  {
    Harness h;
    CHECK(h.run(base_yaml(s, "queries: ['85031', '85033'], limit: 30")) == "");
    CHECK(h.out.count() == 30);
    CHECK(s.requests("/search/") == 2);
  }
  {
    Harness h;
    CHECK(h.run(base_yaml(s, "queries: ['85031', '85033'], max_pages: 1")) == "");
    CHECK(h.out.count() == 50);
    CHECK(s.requests("/search/") == 4);
  }
}

TEST_CASE("a query without parcels ends after one request") {
  AssessorServer s(AssessorOptions{.parcels_per_zip = 0});
  s.start();
  Harness h;
  CHECK(h.run(base_yaml(s, "queries: ['85031', 'nothing matches this']")) == "");
  CHECK(h.out.count() == 0);
  CHECK(s.requests("/search/") == 2);
}

TEST_CASE("details are fetched per parcel and merged, [] and null details are absent") {
  AssessorServer s(AssessorOptions{.parcels_per_zip = 30});
  s.start();
  Harness h;
  CHECK(h.run(base_yaml(s, "queries: ['85035'], details: [valuations, residential-details, owner-details, "
                           "address, propertyinfo]")) == "");
  auto recs = h.out.out();
  REQUIRE(recs.size() == 30);
  int absent_residential = 0;
  for (const auto& r : recs) {
    const auto* p = s.data().find(r.env.source_id);
    REQUIRE(p);
    const auto& d = r.data.at("details").as_object();
    CHECK(d.at("valuations") == json::parse(s.data().valuations_json(*p)));
    CHECK(d.at("owner-details") == json::parse(s.data().owner_json(*p)));
    CHECK(d.at("address") == json::parse(s.data().address_json(*p)));
    CHECK(d.at("propertyinfo") == json::parse(s.data().propertyinfo_json(*p)));
    auto res = s.data().residential_json(*p);
    if (res == "[]" || res == "null") {
      CHECK_FALSE(d.contains("residential-details"));
      ++absent_residential;
    } else {
      CHECK(d.at("residential-details") == json::parse(res));
    }
    CHECK_FALSE(r.meta.contains("warnings"));
  }
  CHECK(absent_residential > 0);
  CHECK(s.requests("/parcel/") == 30 * 5);
}

TEST_CASE("unknown APNs (404 with an empty body, [] sub-resources) leave the detail absent, no error") {
  AssessorServer s(AssessorOptions{.parcels_per_zip = 20, .stale_every = 4});
  s.start();
  Harness h;
  CHECK(h.run(base_yaml(s, "queries: ['85031'], details: [parcel, valuations]")) == "");
  auto recs = h.out.out();
  REQUIRE(recs.size() == 20);
  int stale = 0;
  for (const auto& r : recs) {
    const auto& d = r.data.at("details").as_object();
    bool known = s.data().find(r.env.source_id) != nullptr;
    CHECK(d.contains("parcel") == known);
    CHECK(d.contains("valuations") == known);
    CHECK_FALSE(r.meta.contains("warnings"));
    stale += known ? 0 : 1;
  }
  CHECK(stale == 5);
  CHECK(h.out.count("errors") == 0);
}

TEST_CASE("HTML where JSON was expected: the parcel is kept, the detail explained in meta.warnings") {
  AssessorServer s(AssessorOptions{.parcels_per_zip = 5, .html_detail = "owner-details"});
  s.start();
  Harness h;
  CHECK(h.run(base_yaml(s, "queries: ['85031'], details: [owner-details, valuations]")) == "");
  auto recs = h.out.out();
  REQUIRE(recs.size() == 5);
  for (const auto& r : recs) {
    const auto& d = r.data.at("details").as_object();
    CHECK_FALSE(d.contains("owner-details"));
    CHECK(d.contains("valuations"));
    REQUIRE(r.meta.contains("warnings"));
    auto w = str(r.meta.at("warnings").as_array().at(0));
    CHECK_THAT(w, Catch::Contains("owner-details") && Catch::Contains("HTML") &&
                      Catch::Contains("/parcel/" + r.env.source_id + "/owner-details"));
  }
  CHECK(h.ctx.counters().at("maricopa.detail_warnings") == 5);
}

TEST_CASE("HTML for a search page (wrong base_url) stops the source with a clear message") {
  AssessorServer s;
  s.start();
  Harness h;
  auto msg = h.run("{base_url: '" + s.base_url() + "/api/v1', api_key: fixture-key, queries: ['85031']}");
  CHECK_THAT(msg, Catch::Contains("HTML") && Catch::Contains("85031") && Catch::Contains("/api/v1/search"));
  CHECK(h.out.count() == 0);
}

TEST_CASE("a bad key stops the source after one request, naming MARICOPA_API_KEY") {
  AssessorServer s;
  s.start();
  Harness h;
  auto msg = h.run("{base_url: '" + s.base_url() + "', api_key: not-the-key-42, queries: ['85031', '85033']}");
  CHECK_THAT(msg, Catch::Contains("MARICOPA_API_KEY") && Catch::Contains("500"));
  CHECK_THAT(msg, !Catch::Contains("not-the-key-42"));
  CHECK(s.requests() == 1);
  CHECK(h.out.count() == 0);
}

TEST_CASE("an empty key stops the source before any request") {
  AssessorServer s;
  s.start();
  Harness h;
  auto msg = h.run("{base_url: '" + s.base_url() + "', api_key: '', queries: ['85031']}");
  CHECK_THAT(msg, Catch::Contains("MARICOPA_API_KEY"));
  CHECK(s.requests() == 0);
}

TEST_CASE("streaming: the first record is emitted before page 2 is answered") {
  AssessorServer s;
  s.start();
  Harness h;
  auto first = h.out.first_record();
  std::atomic<bool> seen_before_page2{false}, page2_asked{false};
  s.on_request([&](const httplib::Request& req) {
    if (req.path == "/search/property/" && req.get_param_value("page") == "2") {
      page2_asked = true;
      // Hold page 2 until the test has seen record 1 (or give up after 20 s: then it failed).
      seen_before_page2 = first.wait_for(20s) == std::future_status::ready;
    }
  });
  CHECK(h.run(base_yaml(s, "queries: ['85031']")) == "");
  CHECK(page2_asked);
  CHECK(seen_before_page2);
  CHECK(h.out.count() == 60);
}

TEST_CASE("faults (429, 500, truncated, garbage, hangs, slow) are retried and every record arrives intact") {
  AssessorOptions o;
  o.parcels_per_zip = 40;
  o.faults.rate_429 = 0.08;
  o.faults.retry_after_s = 0;
  o.faults.rate_500 = 0.08;
  o.faults.rate_truncate = 0.05;
  o.faults.rate_garbage = 0.05;
  o.faults.rate_hang = 0.02;
  o.faults.hang_ms = 1500;
  o.faults.rate_slow = 0.04;
  o.faults.slow_ms = 30;
  o.faults.max_per_url = 2;
  AssessorServer s(o);
  s.start();
  Harness h;
  CHECK(h.run(base_yaml(s, "queries: ['85033'], details: [valuations, owner-details], timeout: 500ms, "
                           "retries: 3")) == "");
  auto recs = h.out.out();
  REQUIRE(recs.size() == 40);
  CHECK(s.faults_injected() >= 8);
  // Every fault but a slow answer costs one extra request.
  CHECK(s.requests() > 2 + 40 * 2);
  CHECK(s.requests() <= 2 + 40 * 2 + s.faults_injected());
  for (const auto& r : recs) {
    const auto* p = s.data().find(r.env.source_id);
    REQUIRE(p);
    CHECK_FALSE(r.meta.contains("warnings"));
    CHECK(r.data.at("details").at("valuations") == json::parse(s.data().valuations_json(*p)));
    CHECK(r.data.at("details").at("owner-details") == json::parse(s.data().owner_json(*p)));
  }
  auto counters = h.ctx.counters();
  CHECK(counters["http.retries"] > 0);
}

TEST_CASE("record against the fixture, then replay the same records with the server gone") {
  TempDir cassette;
  std::vector<Record> live;
  std::string base;
  {
    AssessorServer s(AssessorOptions{.parcels_per_zip = 30});
    s.start();
    base = s.base_url();
    Harness h({{"http.record", cassette.path.string()}});
    CHECK(h.run(base_yaml(s, "queries: ['85031'], details: [valuations]")) == "");
    live = h.out.out();
    REQUIRE(live.size() == 30);
  }
  // The key never reaches the cassette.
  for (const auto& e : fs::directory_iterator(cassette.path)) {
    std::ifstream f(e.path());
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK(text.find("fixture-key") == std::string::npos);
  }
  Harness h({{"http.replay", cassette.path.string()}});
  CHECK(h.run("{base_url: '" + base + "', api_key: fixture-key, queries: ['85031'], details: [valuations]}") == "");
  auto replayed = h.out.out();
  REQUIRE(replayed.size() == live.size());
  for (std::size_t i = 0; i < live.size(); ++i) CHECK(replayed[i].data == live[i].data);

  Harness miss({{"http.replay", cassette.path.string()}});
  auto msg = miss.run("{base_url: '" + base + "', api_key: fixture-key, queries: ['85035']}");
  CHECK_THAT(msg, Catch::Contains("GET " + base + "/search/property/?q=85035&page=1"));
}

TEST_CASE("a stop request ends the source promptly") {
  AssessorServer s;
  s.start();
  Harness h;
  s.on_request([&](const httplib::Request& req) {
    if (req.get_param_value("page") == "2") h.ctx.request_stop();
  });
  CHECK(h.run(base_yaml(s, "queries: ['85031', '85033', '85035']")) == "");
  CHECK(h.out.count() == 25);
  CHECK(s.requests("/search/") == 2);
}

TEST_CASE("http.map: record against the fixture under the real URL, replay with the real base_url") {
  TempDir cassette;
  std::size_t live = 0;
  {
    AssessorServer s(AssessorOptions{.parcels_per_zip = 8});
    s.start();
    Harness h({{"http.record", cassette.path.string()},
               {"http.map", "https://mcassessor.maricopa.gov=" + s.base_url()}});
    CHECK(h.run("{api_key: fixture-key, queries: ['85031'], details: [address]}") == "");
    live = h.out.count();
    CHECK(s.requests() == 1 + 8);  // the fixture really answered
  }
  REQUIRE(live == 8);
  bool real_url = false;
  for (const auto& e : fs::directory_iterator(cassette.path)) {
    std::ifstream f(e.path());
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    real_url |= text.find("\"url\":\"https://mcassessor.maricopa.gov/search/property/?q=85031&page=1\"") !=
                std::string::npos;
  }
  CHECK(real_url);
  Harness h({{"http.replay", cassette.path.string()}});
  CHECK(h.run("{api_key: any-key-works-offline, queries: ['85031'], details: [address]}") == "");
  CHECK(h.out.count() == 8);
}
