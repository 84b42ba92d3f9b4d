// Shapes of a clustered run beyond one worker group between main's source and sinks: two worker
// groups in a row with a worker of each killed mid-run, the shared PostgreSQL store written from a
// worker group, and workers that share nothing with `flowrun run` but a copy of the pipeline file
// (as on other machines). Each is compared with a one-process run of the same pipeline.
#include <libpq-fe.h>

#include <csignal>
#include <set>
#include <thread>

#include "tests/cluster/cluster_fixture.hpp"
#include "tests/store/pg_server.hpp"
#include "tools/fixtures/llm/fake_llm_server.hpp"

using namespace clustertest;

namespace {

// The cluster settings of these tests: quick to notice a dead worker, one entry per worker group.
std::string cluster_head(const std::string& nats_url, const std::vector<std::string>& groups) {
  std::string y = "cluster: {nats: \"" + nats_url + "\", ack_wait: 2s, worker_lost_after: 2s, outage: 20s, stall_timeout: 60s,\n"
                  "          groups: {";
  for (std::size_t i = 0; i < groups.size(); ++i) y += (i ? ", " : "") + groups[i] + ": {max_ack_pending: 64}";
  return y + "}}\n";
}

std::string in_group(bool clustered, const std::string& group) { return clustered ? ", group: " + group : ""; }

void wait_joined(const fs::path& base, const std::string& worker) {
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (slurp(base / worker / ".child.err").find("joining run") == std::string::npos && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
}

int lost_warnings(const json::object& sum) {
  int n = 0;
  for (const auto& w : sum.at("warnings").as_array()) n += std::string(w.as_string()).find("was lost") != std::string::npos;
  return n;
}

// Every file under `dir`, relative to it.
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (!e.is_directory()) out.insert(fs::relative(e.path(), dir).string());
  return out;
}

// Rows of a query on PostgreSQL, each row's columns joined by '|'.
std::vector<std::string> pg_rows(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c, sql.c_str());
  INFO(PQerrorMessage(c));
  REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r); ++i) {
    std::string row;
    for (int k = 0; k < PQnfields(r); ++k) row += (k ? "|" : "") + std::string(PQgetvalue(r, i, k));
    out.push_back(row);
  }
  PQclear(r);
  PQfinish(c);
  return out;
}

// main (source) -> group a -> group b -> main (sinks): two NATS hops between worker groups, the
// second edge ending only once the first is complete.
std::string two_groups(const std::string& nats_url, int records) {
  const bool c = !nats_url.empty();
  return "name: twogroups\n" + (c ? cluster_head(nats_url, {"a", "b"}) : "") +
         "nodes:\n"
         "  gen: {type: test_gen, count: " + std::to_string(records) + "}\n"
         "  double: {type: test_slow, inputs: [gen], delay_ms: 25, concurrency: 4" + in_group(c, "a") + "}\n"
         "  triple: {type: test_slow, inputs: [double], delay_ms: 25, concurrency: 4, field: tripled, factor: 3" +
         in_group(c, "b") + "}\n"
         "  lines: {type: jsonl, inputs: [triple], path: out.jsonl}\n"
         "  db: {type: store, inputs: [triple], url: \"sqlite:out.db\", batch_size: 50}\n";
}

}  // namespace

TEST_CASE("cluster: two worker groups in a row, a worker of each killed mid-run: every record through both, stored once",
          "[cluster]") {
  REQUIRE(testnats::binary_present());
  Dir tmp;
  testnats::Server nats(tmp.path / "nats");
  const int records = 300;
  const std::string both = "json_extract(body, '$.doubled') || '/' || json_extract(body, '$.tripled')";
  const auto single = write_pipeline(tmp.path / "single", two_groups("", records));
  REQUIRE(run_main_checked(single, tmp.path / "single").code == 0);
  int ref_rows = 0;
  const auto ref = stored(tmp.path / "single" / "out.db", ref_rows, both);
  REQUIRE(ref_rows == records);
  REQUIRE(ref.at("apn:7") == "214000/321000");  // price 107000 doubled by group a, tripled by group b

  const fs::path base = tmp.path / "two";
  const auto file = write_pipeline(base, two_groups(nats.url(), records));
  auto a_victim = start_worker(file, base, "a0", "a");
  auto a_survivor = start_worker(file, base, "a1", "a");
  auto b_victim = start_worker(file, base, "b0", "b");
  auto b_survivor = start_worker(file, base, "b1", "b");
  Child run({CLUSTER_PROC, "run", file.string()}, child_dir(base, "main"));
  wait_joined(base, "a0");
  wait_joined(base, "b0");
  std::this_thread::sleep_for(500ms);  // group a is busy with gen's records
  REQUIRE(a_victim->running());
  kill(a_victim->pid(), SIGKILL);
  std::this_thread::sleep_for(400ms);  // group b is busy with what group a published
  REQUIRE(b_victim->running());
  kill(b_victim->pid(), SIGKILL);
  auto r = run.wait(120s);
  INFO(r.err);
  REQUIRE(r.code == 0);
  for (auto* w : {a_survivor.get(), b_survivor.get()}) {
    auto wr = w->wait(30s);
    INFO(wr.err);
    CHECK(wr.code == 0);
  }
  CHECK(sorted_lines(base / "out.jsonl") == sorted_lines(tmp.path / "single" / "out.jsonl"));
  int rows = 0;
  CHECK(stored(base / "out.db", rows, both) == ref);
  CHECK(rows == records);
  const auto sum = checked_summary(r);
  CHECK(counter(sum, "nats.published gen -> a") == records);
  CHECK(counter(sum, "nats.redelivered gen -> a") > 0);     // group a's victim held records
  CHECK(counter(sum, "nats.redelivered double -> b") > 0);  // and so did group b's
  CHECK(lost_warnings(sum) == 2);
}

TEST_CASE("cluster: a worker group writes the shared PostgreSQL store, a worker killed mid-run: each id once", "[cluster]") {
  REQUIRE(testnats::binary_present());
  if (!testpg::binaries_present()) {
    WARN("PostgreSQL 15 binaries absent (/usr/lib/postgresql/15/bin/initdb, pg_ctl): shared-store cluster test skipped");
    return;
  }
  Dir tmp;
  testnats::Server nats(tmp.path / "nats");
  const int records = 300;
  auto text = [&](const std::string& nats_url, const std::string& db) {
    const bool c = !nats_url.empty();
    return "name: pgcluster\n" + (c ? cluster_head(nats_url, {"work"}) : "") +
           "nodes:\n"
           "  gen: {type: test_gen, count: " + std::to_string(records) + "}\n"
           "  slow: {type: test_slow, inputs: [gen], delay_ms: 20, concurrency: 4" + in_group(c, "work") + "}\n"
           "  db: {type: store, inputs: [slow], url: \"" + db + "\", batch_size: 25" + in_group(c, "work") + "}\n";
  };
  const auto rows_of = [](const std::string& db) {
    return pg_rows(db, "SELECT id, body->>'doubled', price FROM properties ORDER BY id");
  };
  const std::string ref_db = testpg::Server::instance().fresh_database();
  REQUIRE(run_main_checked(write_pipeline(tmp.path / "single", text("", ref_db)), tmp.path / "single").code == 0);
  const auto ref = rows_of(ref_db);
  REQUIRE(ref.size() == static_cast<std::size_t>(records));

  const std::string db = testpg::Server::instance().fresh_database();
  const fs::path base = tmp.path / "pg";
  const auto file = write_pipeline(base, text(nats.url(), db));
  auto victim = start_worker(file, base, "victim");
  auto survivor = start_worker(file, base, "survivor");
  Child run({CLUSTER_PROC, "run", file.string()}, child_dir(base, "main"));
  wait_joined(base, "victim");
  std::this_thread::sleep_for(700ms);
  REQUIRE(victim->running());
  kill(victim->pid(), SIGKILL);
  auto r = run.wait(120s);
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto sr = survivor->wait(30s);
  INFO(sr.err);
  CHECK(sr.code == 0);
  // The run ended only after the workers' store had committed everything: each id once, as one
  // process stored it, and one history row each (a record stored again after the crash was
  // unchanged, so it added no history).
  CHECK(rows_of(db) == ref);
  CHECK(pg_rows(db, "SELECT COUNT(*) FROM property_history") == std::vector<std::string>{std::to_string(records)});
  const auto sum = checked_summary(r);
  CHECK(counter(sum, "nats.redelivered") > 0);
  CHECK(lost_warnings(sum) == 1);
}

// As on other machines: each worker has its own folder holding only a copy of the pipeline file,
// and runs in another folder still; relative paths resolve from the pipeline file's folder. The
// group's llm_enricher finds its shipped prompt and schema by name, not in main's folder. A
// record that fails in the worker group is dead-lettered by main, into main's folder.
TEST_CASE("cluster: workers share nothing with the run but a copy of the pipeline file", "[cluster]") {
  REQUIRE(testnats::binary_present());
  Dir tmp;
  testnats::Server nats(tmp.path / "nats");
  flowrun::fixtures::FakeLlmServer llm;
  llm.start();
  const std::string text = "name: apart\n" + cluster_head(nats.url(), {"work"}) +
                           "nodes:\n"
                           "  gen: {type: test_gen, count: 120}\n"
                           "  slow: {type: test_slow, inputs: [gen], delay_ms: 10, concurrency: 4, fail_on: \"apn:9\", group: work}\n"
                           "  enrich: {type: llm_enricher, inputs: [slow], base_url: \"" + llm.url() + "\", cache: false, "
                           "concurrency: 4, group: work}\n"
                           "  lines: {type: jsonl, inputs: [enrich], path: out.jsonl}\n"
                           "  db: {type: store, inputs: [enrich], url: \"sqlite:out.db\", batch_size: 50}\n";
  const auto file = write_pipeline(tmp.path / "main", text);
  std::vector<std::unique_ptr<Child>> workers;
  std::vector<fs::path> homes;
  for (int i = 0; i < 2; ++i) {
    const fs::path home = tmp.path / ("machine" + std::to_string(i));
    fs::create_directories(home / "pipeline");
    fs::copy_file(file, home / "pipeline" / "p.yaml");
    workers.push_back(std::make_unique<Child>(
        std::vector<std::string>{CLUSTER_PROC, "worker", (home / "pipeline" / "p.yaml").string(), "work", "--once"},
        child_dir(home, "cwd")));
    homes.push_back(home);
  }
  Child run({CLUSTER_PROC, "run", file.string()}, child_dir(tmp.path / "main", "cwd"));
  auto r = run.wait(120s);
  INFO(r.err);
  REQUIRE(r.code == 0);
  for (std::size_t i = 0; i < workers.size(); ++i) {
    auto wr = workers[i]->wait(30s);
    INFO(wr.err);
    CHECK(wr.code == 0);
    CHECK(wr.err.find("joining run") != std::string::npos);  // it took part
    // Nothing written beside the pipeline copy nor in the working folder but the test's own logs.
    CHECK(files_under(homes[i]) == std::set<std::string>{"pipeline/p.yaml", "cwd/.child.out", "cwd/.child.err"});
  }
  const fs::path out = tmp.path / "main";
  const auto lines = sorted_lines(out / "out.jsonl");
  CHECK(lines.size() == 119);
  for (const auto& line : lines) CHECK(line.find("\"enrichment\":{") != std::string::npos);  // enriched by a worker
  CHECK(llm.total_generation_calls() >= 119);
  int rows = 0;
  const auto got = stored(out / "out.db", rows);
  CHECK(rows == 119);
  CHECK(!got.count("apn:9"));
  const std::string dead = slurp(out / "out" / "dead_letters.jsonl");
  INFO(dead);
  CHECK(dead.find("\"apn:9\"") != std::string::npos);
  CHECK(dead.find("test_slow fails on apn:9") != std::string::npos);
  const auto sum = checked_summary(r);
  CHECK(node_of(sum, "slow").at("in").as_int64() == 120);  // the workers' counts reached main
  CHECK(node_of(sum, "slow").at("errors").as_int64() == 1);
  CHECK(node_of(sum, "enrich").at("out").as_int64() == 119);
}
