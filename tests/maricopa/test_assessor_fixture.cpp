// The fake assessor speaks the real API with its quirks, and injects faults deterministically.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "nodes/http/http_client.hpp"
#include "tools/fixtures/assessor/assessor_server.hpp"

using namespace flowrun;
using namespace flowrun::fixtures;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

http::Client plain_client(int attempts = 1) {
  http::ClientOptions o;
  o.retry.max_attempts = attempts;
  o.retry.base_delay = 1ms;
  o.retry.max_delay = 2ms;
  return http::Client(o);
}

const std::vector<std::pair<std::string, std::string>> kAuth = {{"AUTHORIZATION", "fixture-key"}};

}  // namespace

TEST_CASE("fixture: search pages 25 at a time with TOTAL and PascalCase rows") {
  AssessorServer s;
  s.start();
  auto c = plain_client();
  int rows = 0;
  for (int page = 1; page <= 4; ++page) {
    auto r = c.get(s.base_url() + "/search/property/?q=85031&page=" + std::to_string(page), kAuth);
    REQUIRE(r.status == 200);
    auto v = json::parse(r.body).as_object();
    CHECK(v.at("TOTAL").as_int64() == 60);
    auto n = v.at("Results").as_array().size();
    CHECK(n == (page <= 2 ? 25u : page == 3 ? 10u : 0u));
    rows += static_cast<int>(n);
    if (page == 1) {
      const auto& row = v.at("Results").as_array()[0].as_object();
      for (const char* k : {"MCR", "SubdivisonName", "SectionTownshipRange", "APN", "Ownership", "SitusAddress",
                            "SitusCity", "SitusZip", "PropertyType", "RentalID"})
        CHECK(row.contains(k));
      CHECK(row.at("SitusZip").as_string() == "85031");
    }
  }
  CHECK(rows == 60);
  CHECK(json::parse(c.get(s.base_url() + "/search/property/?q=no+such+place", kAuth).body) ==
        json::parse(R"({"TOTAL":0,"Results":[]})"));
  CHECK(s.requests("/search/property/") == 5);
}

TEST_CASE("fixture: the same seed gives the same data, another seed differs") {
  AssessorServer a, b, other(AssessorOptions{.seed = 43});
  a.start();
  b.start();
  other.start();
  auto c = plain_client();
  auto page = [&](AssessorServer& s) { return c.get(s.base_url() + "/search/property/?q=85035&page=2", kAuth).body; };
  CHECK(page(a) == page(b));
  CHECK(page(a) != page(other));
  auto apn = std::string(json::parse(page(a)).at("Results").at(0).at("APN").as_string());
  auto val = [&](AssessorServer& s) { return c.get(s.base_url() + "/parcel/" + apn + "/valuations", kAuth).body; };
  CHECK(val(a) == val(b));
}

TEST_CASE("fixture: the real quirks") {
  AssessorServer s(AssessorOptions{.stale_every = 5});
  s.start();
  auto c = plain_client();
  auto base = s.base_url();
  auto first = json::parse(c.get(base + "/search/property/?q=85033", kAuth).body);
  std::string apn(first.at("Results").at(0).at("APN").as_string());

  SECTION("no or wrong AUTHORIZATION: HTTP 500 with an empty body") {
    auto r = c.get(base + "/search/property/?q=85033");
    CHECK(r.status == 500);
    CHECK(r.body.empty());
    r = c.get(base + "/parcel/" + apn, {{"AUTHORIZATION", "nope"}});
    CHECK(r.status == 500);
    CHECK(r.body.empty());
  }
  SECTION("unknown APN: 404 with an empty body; its sub-resources: 200 []") {
    auto r = c.get(base + "/parcel/99999999", kAuth);
    CHECK(r.status == 404);
    CHECK(r.body.empty());
    r = c.get(base + "/parcel/99999999/valuations", kAuth);
    CHECK(r.status == 200);
    CHECK(r.body == "[]");
  }
  SECTION("stale parcels are listed by search but unknown to /parcel") {
    const auto& parcels = s.data().zip("85033");
    REQUIRE(parcels[4].stale);
    CHECK(c.get(base + "/parcel/" + parcels[4].apn, kAuth).status == 404);
    CHECK(c.get(base + "/parcel/" + parcels[3].apn, kAuth).status == 200);
  }
  SECTION("APN with dashes, dots or spaces") {
    std::string dashed = apn.substr(0, 3) + "-" + apn.substr(3, 2) + "-" + apn.substr(5);
    auto r = c.get(base + "/parcel/" + dashed + "/address", kAuth);
    CHECK(json::parse(r.body).at("APN").as_string() == apn);
  }
  SECTION("a wrong path answers an HTML page") {
    auto r = c.get(base + "/api/v1/parcel/" + apn, kAuth);
    CHECK(r.status == 200);
    CHECK(r.header("content-type").find("text/html") == 0);
    CHECK(r.body.find("<html") != std::string::npos);
  }
  SECTION("gzip when asked") {
    auto r = c.get(base + "/search/property/?q=85033", {{"AUTHORIZATION", "fixture-key"}, {"Accept-Encoding", "gzip"}});
    CHECK(r.header("content-encoding") == "gzip");
    CHECK(json::parse(r.body).at("TOTAL").as_int64() == 60);
  }
  SECTION("messy values: padded strings, na, types changing between parcels, [] and null") {
    bool padded = false, na = false, string_space = false, int_space = false, null_body = false, empty_body = false,
         parking_obj = false;
    for (const auto& p : s.data().zip("85033")) {
      if (p.stale) continue;
      auto v = json::parse(c.get(base + "/parcel/" + p.apn + "/valuations", kAuth).body);
      for (const auto& y : v.as_array()) {
        auto lpv = std::string(y.at("LimitedPropertyValue").as_string());
        padded |= lpv.back() == ' ';
        na |= y.at("AssessedFCV") == "na";
        CHECK(y.at("TaxYear").is_string());
      }
      auto body = c.get(base + "/parcel/" + p.apn + "/residential-details", kAuth).body;
      null_body |= body == "null";
      empty_body |= body == "[]";
      if (body.size() > 4) {
        auto d = json::parse(body);
        string_space |= d.at("LivableSpace").is_string();
        int_space |= d.at("LivableSpace").is_int64();
        parking_obj |= d.at("ParkingDetails").is_object();
      }
    }
    CHECK(padded);
    CHECK(na);
    CHECK(string_space);
    CHECK(int_space);
    CHECK(null_body);
    CHECK(empty_body);
    CHECK(parking_obj);
  }
}

TEST_CASE("fixture: counts requests per path") {
  AssessorServer s;
  s.start();
  auto c = plain_client();
  c.get(s.base_url() + "/search/property/?q=85031&page=1", kAuth);
  c.get(s.base_url() + "/search/property/?q=85031&page=2", kAuth);
  c.get(s.base_url() + "/parcel/10310001/valuations", kAuth);
  c.get(s.base_url() + "/parcel/10310001/valuations");
  CHECK(s.requests() == 4);
  CHECK(s.requests("/search/") == 2);
  CHECK(s.requests("/parcel/10310001/valuations") == 2);
  CHECK(s.request_counts().at("/search/property/") == 2);
}

TEST_CASE("fixture: faults are deterministic, capped per URL, and retries get through") {
  AssessorOptions o;
  o.faults.rate_500 = 0.3;
  o.faults.rate_429 = 0.2;
  o.faults.retry_after_s = 0;
  o.faults.rate_truncate = 0.2;
  o.faults.max_per_url = 2;
  auto run_once = [&] {
    AssessorServer s(o);
    s.start();
    auto c = plain_client(3);  // max_per_url 2, so the third attempt always succeeds
    std::vector<long> statuses;
    for (const auto& p : s.data().zip("85031")) {
      auto r = c.get(s.base_url() + "/parcel/" + p.apn + "/owner-details", kAuth);
      statuses.push_back(r.status);
      CHECK(json::parse(r.body).at("Ownership") == p.row.at("Ownership"));
    }
    return std::pair{s.faults_injected(), s.requests()};
  };
  auto [faults1, requests1] = run_once();
  auto [faults2, requests2] = run_once();
  CHECK(faults1 > 10);
  CHECK(faults1 == faults2);
  CHECK(requests1 == requests2);
  CHECK(requests1 == 60 + faults1);
}

TEST_CASE("fixture: garbage and truncated bodies look broken to a client") {
  AssessorOptions o;
  o.faults.rate_garbage = 1.0;
  o.faults.max_per_url = 1;
  AssessorServer s(o);
  s.start();
  auto c = plain_client(1);
  auto r = c.get(s.base_url() + "/parcel/10310001/address", kAuth);
  CHECK(r.status == 200);
  json::error_code ec;
  json::parse(r.body, ec);
  CHECK(ec);
  CHECK(json::parse(c.get(s.base_url() + "/parcel/10310001/address", kAuth).body).is_object());

  AssessorOptions t;
  t.faults.rate_truncate = 1.0;
  t.faults.max_per_url = 1;
  AssessorServer s2(t);
  s2.start();
  CHECK_THROWS_AS(c.get(s2.base_url() + "/parcel/10310001/address", kAuth), http::TransportError);
}
