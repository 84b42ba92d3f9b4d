// Pure pieces: canonical JSON and content hashes, record -> row, upsert planning, dead-letter
// rows, the Prometheus text.
#include <catch2/catch.hpp>

#include "engine/metrics.hpp"
#include "engine/pipeline.hpp"
#include "nodes/store/record_rows.hpp"
#include "nodes/store/run_ledger.hpp"
#include "nodes/store/store_nodes.hpp"
#include "nodes/store/upsert_plan.hpp"

using namespace flowrun;
using namespace flowrun::store;
namespace json = boost::json;

TEST_CASE("canonical JSON sorts keys at every level", "[rows]") {
  auto a = json::parse(R"({"b":1,"a":{"y":[{"d":1,"c":2}],"x":null},"c":"é"})");
  auto b = json::parse(R"({"c":"é","a":{"x":null,"y":[{"c":2,"d":1}]},"b":1})");
  CHECK(canonical_json(a) == canonical_json(b));
  CHECK(canonical_json(a) == R"({"a":{"x":null,"y":[{"c":2,"d":1}]},"b":1,"c":"é"})");
}

TEST_CASE("content hash ignores volatile fields but sees every real change", "[rows]") {
  auto r1 = json::parse(R"({"id":"apn:1","price":100,"collected_at":"2026-01-01","enrichment":{"a":1}})").as_object();
  auto r2 = json::parse(R"({"collected_at":"2026-02-02","price":100,"id":"apn:1"})").as_object();
  auto r3 = json::parse(R"({"id":"apn:1","price":101})").as_object();
  const auto& ex = default_hash_exclude();
  CHECK(content_hash(r1, ex) == content_hash(r2, ex));
  CHECK(content_hash(r1, ex) != content_hash(r3, ex));
  CHECK(content_hash(r1, ex).size() == 64);
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("a record becomes a property row with its indexed columns", "[rows]") {
  Record r(json::parse(R"({"id":"apn:123-45-678","source":"assessor","address":{"zip":"85031"},
      "price":"450000","assessed_value":41000.5,"full_cash_value":null,
      "enrichment_meta":{"status":"pending"}})").as_object());
  auto row = to_property_row(r, default_hash_exclude());
  CHECK(row.id == "apn:123-45-678");
  CHECK(row.source == "assessor");
  CHECK(row.zip == "85031");
  CHECK(row.price == std::optional<double>(450000));
  CHECK(row.assessed_value == std::optional<double>(41000.5));
  CHECK(!row.full_cash_value);
  CHECK(row.enrichment_status == "pending");

  Record no_id(json::parse(R"({"price":1})").as_object());
  no_id.env.source = "csv";
  no_id.env.source_id = "7";
  try {
    to_property_row(no_id, default_hash_exclude());
    FAIL("expected a RecordError");
  } catch (const RecordError& e) {
    CHECK(e.field == "id");
    CHECK(e.rule == "required");
    CHECK(std::string(e.what()).find("csv:7") != std::string::npos);
  }
}

TEST_CASE("raw rows take source and source id from the envelope", "[rows]") {
  Record r(json::parse(R"({"x":1})").as_object());
  r.env.source = "assessor";
  r.env.source_id = "123";
  auto row = to_raw_row(r, default_hash_exclude(), "now");
  CHECK(row.source == "assessor");
  CHECK(row.source_id == "123");
  CHECK(row.fetched_at == "now");
  Record anon(json::parse(R"({"x":1})").as_object());
  CHECK_THROWS_AS(to_raw_row(anon, default_hash_exclude(), "now"), RecordError);
}

TEST_CASE("upsert plan: new, changed, unchanged and history", "[plan]") {
  auto row = [](std::string id, std::string h, std::optional<double> p) {
    PropertyRow r;
    r.id = std::move(id);
    r.content_hash = std::move(h);
    r.price = p;
    return r;
  };
  std::vector<PropertyRow> rows = {row("new", "h", 1), row("same", "h", 5), row("moved", "h2", 6),
                                   row("text", "h2", 7)};
  std::map<std::string, Existing> existing = {{"same", {"h", "", 5, {}, {}}},
                                              {"moved", {"h", "", 5, {}, {}}},
                                              {"text", {"h", "", 7, {}, {}}}};
  auto plan = plan_upsert(rows, existing);
  CHECK(plan.counts.inserted == 1);
  CHECK(plan.counts.updated == 2);
  CHECK(plan.counts.unchanged == 1);
  REQUIRE(plan.history.size() == 2);  // the new one and the price change, not the text change
  CHECK(plan.history[0].row->id == "new");
  CHECK(plan.history[1].row->id == "moved");
  REQUIRE(plan.rows.size() == 4);
  CHECK(plan.rows[1].change == Change::unchanged);
  CHECK(!plan.rows[1].replace_body);
}

TEST_CASE("dead-letter rows carry the engine's node and reason", "[rows]") {
  Record r(json::parse(R"({"id":"apn:1","price":-5})").as_object());
  r.meta["error"] = json::object{{"node", "validate"}, {"port", "errors"}, {"message", "too low"},
                                 {"field", "price"}, {"rule", "range"}};
  auto d = dead_letter_row(r, "run-1", "t");
  CHECK(d.node == "validate");
  CHECK(d.reason == "price: range: too low");
  CHECK(d.record_id == "apn:1");
  auto rec = json::parse(d.record).as_object();
  CHECK(rec.at("data").as_object().at("price").as_int64() == -5);
  Record bare(json::object{});
  auto d2 = dead_letter_row(bare, "run-1", "t");
  CHECK(d2.node == "unknown");
  CHECK(d2.reason == "unknown");
}

TEST_CASE("Prometheus text has per-node counters, latency, queues and resources", "[metrics]") {
  RunSummary s;
  s.pipeline = "daily";
  s.run_id = "r1";
  s.status = "ok";
  NodeSummary n;
  n.id = "store";
  n.type = "store";
  n.role = "sink";
  n.in = 10, n.out = 9, n.errors = 1, n.p50_ms = 2, n.p95_ms = 8, n.max_queued = 7, n.buffer = 1024;
  s.nodes.push_back(n);
  s.counters["llm.tokens"] = 1234;
  s.resources["assessor"] = json::object{{"kind", "rate_limit"}, {"waits", 3}, {"waited_ms", 250}};
  s.resources["ollama"] = json::object{{"kind", "breaker"}, {"state", "open"}, {"trips", 1}};
  auto text = to_prometheus(s);
  CHECK_THAT(text, Catch::Contains(R"(flowrun_node_records_in_total{pipeline="daily",node="store",type="store",role="sink"} 10)"));
  CHECK_THAT(text, Catch::Contains(R"(flowrun_node_errors_total{pipeline="daily",node="store",type="store",role="sink"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(quantile="0.95"} 0.008)"));
  CHECK_THAT(text, Catch::Contains(R"(flowrun_node_queue_max{pipeline="daily",node="store",type="store",role="sink"} 7)"));
  CHECK_THAT(text, Catch::Contains(R"(kind="rate_limit",resource="assessor",field="waits"} 3)"));
  CHECK_THAT(text, Catch::Contains(R"(resource="ollama",field="state",value="open"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(flowrun_run_counter{pipeline="daily",name="llm.tokens"} 1234)"));
  CHECK_THAT(text, Catch::Contains(R"(flowrun_run_status{pipeline="daily",status="ok"} 1)"));
  // every non-comment line is `name{labels} value`
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    CHECK(line.find(' ') != std::string::npos);
  }

  auto f = run_finish_from(s);
  CHECK(f.tokens == 1234);
  CHECK(json::parse(f.node_counts).as_object().at("store").as_object().at("errors").as_int64() == 1);
}
