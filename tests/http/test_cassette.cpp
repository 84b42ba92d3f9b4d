// Record/replay: record against a live loopback server, stop it, replay with no network.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "loopback_server.hpp"
#include "nodes/http/cassette.hpp"
#include "nodes/http/http_client.hpp"
#include "tests/shared/temp_dir.hpp"

using namespace flowrun::http;
using namespace std::chrono_literals;
using flowrun::testing::LoopbackServer;
namespace fs = std::filesystem;

namespace {

using flowrun::testing::TempDir;

std::string slurp_dir(const fs::path& dir) {
  std::string all;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    all += ss.str();
  }
  return all;
}

ClientOptions base() {
  ClientOptions o;
  o.retry.base_delay = 1ms;
  o.retry.max_delay = 2ms;
  o.secrets = {"TOPSECRET-42"};
  return o;
}

}  // namespace

TEST_CASE("cassette keys are stable and depend on method, URL and body") {
  auto k = cassette_key("GET", "http://h/a", "");
  CHECK(k.size() == 16);
  CHECK(k == cassette_key("GET", "http://h/a", ""));
  CHECK(k != cassette_key("POST", "http://h/a", ""));
  CHECK(k != cassette_key("GET", "http://h/b", ""));
  CHECK(k != cassette_key("GET", "http://h/a", "x"));
  CHECK(cassette_key("GET", "ab", "c") != cassette_key("GET", "a", "bc"));
}

TEST_CASE("record, stop the server, replay the same answers without a network") {
  TempDir dir;
  LoopbackServer s;
  std::atomic<int> hits{0};
  s.svr.Get(R"(/parcel/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
    ++hits;
    // The server echoes the key to prove that bodies are redacted too.
    res.set_content("{\"apn\":\"" + std::string(req.matches[1]) + "\",\"echo\":\"" +
                        req.get_header_value("AUTHORIZATION") + "\"}",
                    "application/json");
  });
  s.svr.Get("/binary", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string("\xff\xfe\x00\x01garbage", 11), "application/octet-stream");
  });
  s.svr.Get("/gone", [&](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  s.start();

  std::vector<std::string> urls = {s.url("/parcel/10306005?key=TOPSECRET-42"), s.url("/parcel/10219009"),
                                   s.url("/binary"), s.url("/gone")};
  std::vector<Response> live;
  {
    auto o = base();
    o.record_dir = dir.path.string();
    Client c(o);
    for (const auto& u : urls) live.push_back(c.get(u, {{"AUTHORIZATION", "TOPSECRET-42"}}));
  }
  CHECK(hits == 2);
  s.stop();

  SECTION("no secret in any cassette file") {
    std::string all = slurp_dir(dir.path);
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 4);
    CHECK(all.find("TOPSECRET-42") == std::string::npos);
    CHECK(all.find("key=***") != std::string::npos);
    CHECK(all.find("AUTHORIZATION") == std::string::npos);
  }

  SECTION("replay returns what was recorded, byte for byte") {
    auto o = base();
    o.replay_dir = dir.path.string();
    Client c(o);
    for (std::size_t i = 0; i < urls.size(); ++i) {
      auto r = c.get(urls[i], {{"AUTHORIZATION", "TOPSECRET-42"}});
      CHECK(r.status == live[i].status);
      // Recorded bodies are redacted, so a secret echoed by the server comes back as ***.
      CHECK(r.body == c.redact(live[i].body));
      if (i == 0) CHECK(r.body == "{\"apn\":\"10306005\",\"echo\":\"***\"}");
    }
    CHECK(hits == 2);  // the server is gone anyway; nothing new was asked
  }

  SECTION("a request missing from the cassette names method and redacted URL") {
    auto o = base();
    o.replay_dir = dir.path.string();
    Client c(o);
    try {
      c.get(s.url("/parcel/999?key=TOPSECRET-42"));
      FAIL("expected CassetteMiss");
    } catch (const CassetteMiss& e) {
      std::string m = e.what();
      CHECK(m.find("GET http://127.0.0.1:") != std::string::npos);
      CHECK(m.find("/parcel/999?key=***") != std::string::npos);
      CHECK(m.find("TOPSECRET-42") == std::string::npos);
    }
  }
}

TEST_CASE("a recorded transport failure replays as a TransportError") {
  TempDir dir;
  LoopbackServer s;
  s.start();
  std::string url = s.url("/nothing-here");
  s.stop();  // connection refused from now on
  {
    auto o = base();
    o.retry.max_attempts = 1;
    o.record_dir = dir.path.string();
    Client c(o);
    CHECK_THROWS_AS(c.get(url), TransportError);
  }
  auto o = base();
  o.replay_dir = dir.path.string();
  Client c(o);
  try {
    c.get(url);
    FAIL("expected TransportError");
  } catch (const CassetteMiss&) {
    FAIL("the failure was recorded, so this is not a miss");
  } catch (const TransportError& e) {
    CHECK(std::string(e.what()).find("/nothing-here") != std::string::npos);
  }
}
