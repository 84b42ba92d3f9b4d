// One pipeline over several real processes and a real nats-server on loopback: `run` plus 1..3
// workers, a worker killed with SIGKILL mid-run, the server restarted mid-run, backpressure, and
// the CLI's view of a clustered pipeline (check, check --env, dot, worker). Every run's output
// is compared with a one-process run of the same pipeline: each id exactly once, same content.
#include <csignal>
#include <set>
#include <thread>

#include "tests/cluster/cluster_fixture.hpp"

using namespace clustertest;

TEST_CASE("cluster: a run over 1 and 3 workers stores exactly what one process stores", "[cluster]") {
  REQUIRE(testnats::binary_present());
  Dir tmp;
  testnats::Server nats(tmp.path / "nats");
  Shape s;
  const auto ref = one_process(tmp.path, s);
  flowrun::testing::check_balanced(ref.summary);
  for (int workers : {1, 3}) {
    DYNAMIC_SECTION(workers << " worker(s)") {
      const fs::path base = tmp.path / ("w" + std::to_string(workers));
      const auto file = write_pipeline(base, pipeline(nats.url(), s, base));
      std::vector<std::unique_ptr<Child>> ws;
      for (int i = 0; i < workers; ++i) ws.push_back(start_worker(file, base, "worker" + std::to_string(i)));
      auto r = run_main(file, base);
      INFO(r.err);
      REQUIRE(r.code == 0);
      for (auto& w : ws) {
        auto wr = w->wait(30s);
        INFO(wr.err);
        CHECK(wr.code == 0);
      }
      same_as_reference(base, ref, s.records);
      const auto sum = checked_summary(r);
      // The summary covers the workers' nodes: every record went through test_slow somewhere.
      CHECK(node_of(sum, "slow").at("in").as_int64() == s.records);
      CHECK(node_of(sum, "slow").at("out").as_int64() == s.records);
      CHECK(sum.at("source_records").as_int64() == s.records);
      CHECK(counter(sum, "nats.published gen -> work") == s.records);
    }
  }
}

TEST_CASE("cluster: a worker killed with SIGKILL mid-run: its records come back, nothing lost, nothing twice", "[cluster]") {
  REQUIRE(testnats::binary_present());
  Dir tmp;
  testnats::Server nats(tmp.path / "nats");
  Shape s;
  s.records = 300;
  s.delay_ms = 20;
  const auto ref = one_process(tmp.path, s);
  flowrun::testing::check_balanced(ref.summary);
  const fs::path base = tmp.path / "kill";
  const auto file = write_pipeline(base, pipeline(nats.url(), s, base));
  auto victim = start_worker(file, base, "victim");
  auto survivor = start_worker(file, base, "survivor");
  Child run({CLUSTER_PROC, "run", file.string()}, child_dir(base, "main"));
  // Once the victim has joined and taken records (its log says so), kill it without warning.
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (slurp(base / "victim" / ".child.err").find("joining run") == std::string::npos &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(700ms);
  REQUIRE(victim->running());
  kill(victim->pid(), SIGKILL);
  auto r = run.wait(120s);
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto sr = survivor->wait(30s);
  INFO(sr.err);
  CHECK(sr.code == 0);
  same_as_reference(base, ref, s.records);
  const auto sum = checked_summary(r);  // the victim's counts died with it; the survivor's add up
  CHECK(counter(sum, "nats.redelivered") > 0);  // the victim's records were delivered again
  bool lost_warning = false;
  for (const auto& w : sum.at("warnings").as_array()) lost_warning = lost_warning || std::string(w.as_string()).find("was lost") != std::string::npos;
  CHECK(lost_warning);
}

TEST_CASE("cluster: SIGTERM drains a worker: it leaves with exit 0 and the others finish the run", "[cluster]") {
  REQUIRE(testnats::binary_present());
  Dir tmp;
  testnats::Server nats(tmp.path / "nats");
  Shape s;
  s.records = 300;
  s.delay_ms = 20;
  const auto ref = one_process(tmp.path, s);
  flowrun::testing::check_balanced(ref.summary);
  const fs::path base = tmp.path / "term";
  const auto file = write_pipeline(base, pipeline(nats.url(), s, base));
  auto leaver = std::make_unique<Child>(std::vector<std::string>{CLUSTER_PROC, "worker", file.string(), "work"},
                                        child_dir(base, "leaver"));  // no --once: serves until stopped
  auto stayer = start_worker(file, base, "stayer");
  Child run({CLUSTER_PROC, "run", file.string()}, child_dir(base, "main"));
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (slurp(base / "leaver" / ".child.err").find("joining run") == std::string::npos &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(500ms);
  kill(leaver->pid(), SIGTERM);
  auto lr = leaver->wait(20s);  // drains what it holds: a few records' worth, not the run
  INFO(lr.err);
  CHECK(lr.code == 0);
  CHECK(run.running());  // it left mid-run
  auto r = run.wait(120s);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(stayer->wait(30s).code == 0);
  same_as_reference(base, ref, s.records);
  checked_summary(r);  // the leaver drained and reported what it took: the counts add up
}

TEST_CASE("cluster: MaxAckPending bounds what a group holds: a slow group still finishes", "[cluster]") {
  REQUIRE(testnats::binary_present());
  Dir tmp;
  testnats::Server nats(tmp.path / "nats");
  Shape s;
  s.records = 120;
  s.delay_ms = 10;
  s.concurrency = 16;  // the worker could take more than the cluster allows
  s.max_ack_pending = 8;
  const fs::path base = tmp.path / "bp";
  const auto file = write_pipeline(base, pipeline(nats.url(), s, base));
  auto a = start_worker(file, base, "a");
  auto b = start_worker(file, base, "b");
  auto r = run_main(file, base);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(a->wait(30s).code == 0);
  CHECK(b->wait(30s).code == 0);
  const auto sum = checked_summary(r);
  const double most = counter(sum, "nats.max_ack_pending gen -> work");
  CHECK(most > 0);
  CHECK(most <= 8);
  CHECK(node_of(sum, "slow").at("in").as_int64() == s.records);
  CHECK(node_of(sum, "db").at("out").as_int64() == s.records);
}

TEST_CASE("cluster: a poison record that kills every worker ends in dead letters after max_deliver", "[cluster]") {
  REQUIRE(testnats::binary_present());
  Dir tmp;
  testnats::Server nats(tmp.path / "nats");
  Shape s;
  s.records = 40;
  s.concurrency = 1;
  s.max_deliver = 2;
  s.crash_on = "apn:5";
  const fs::path base = tmp.path / "poison";
  const auto file = write_pipeline(base, pipeline(nats.url(), s, base));
  Child run({CLUSTER_PROC, "run", file.string()}, child_dir(base, "main"));
  // Workers are replaced as they die, the way systemd's Restart=always would.
  std::vector<std::unique_ptr<Child>> workers;
  int crashed = 0;
  while (run.running() && workers.size() < 8) {
    if (workers.empty() || !workers.back()->running()) {
      if (!workers.empty() && workers.back()->wait(1s).code == 3) ++crashed;  // test_slow's crash
      workers.push_back(start_worker(file, base, "w" + std::to_string(workers.size())));
    }
    std::this_thread::sleep_for(50ms);
  }
  auto r = run.wait(60s);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(crashed == s.max_deliver);  // one crash per delivery, then the record was dead-lettered
  // The crashed workers never reported; the poison record is counted where it was dead-lettered.
  checked_summary(r);
  std::string dead = slurp(base / "out" / "dead_letters.jsonl");
  INFO(dead);
  CHECK(dead.find("\"apn:5\"") != std::string::npos);
  CHECK(dead.find("delivered 2 times without being acknowledged (cluster.max_deliver 2)") != std::string::npos);
  // Every other record is stored, once: the records the crashing workers held beside the poison
  // one (some already published, their acks lost in the crash) were started alone when they came
  // back, and did not use up their deliveries.
  int rows = 0;
  const auto got = stored(base / "out.db", rows);
  CHECK(!got.count("apn:5"));
  int dead_count = 0;
  for (std::size_t at = dead.find("\n"); at != std::string::npos; at = dead.find("\n", at + 1)) ++dead_count;
  CHECK(dead_count == 1);
  CHECK(rows == s.records - 1);
  CHECK(got.size() == static_cast<std::size_t>(rows));
}

// Regression (issue 14): libnats 3.4.1's natsSubscription_Fetch returned more messages than the
// batch it had room for while the server restarted and wrote past its own array (heap corruption
// under ASan, "free(): invalid next size" without). flowrun now sends its own pull requests and
// reads its inbox one message at a time (nodes/nats/session.cpp, InputEdge::fetch).
TEST_CASE("cluster: nats-server restarted mid-run: the run completes with every record once", "[cluster]") {
  REQUIRE(testnats::binary_present());
  Dir tmp;
  testnats::Server nats(tmp.path / "nats");
  Shape s;
  s.records = 300;
  s.delay_ms = 25;  // about 2 s of work for the one worker: the outage falls inside the run
  const auto ref = one_process(tmp.path, s);
  const fs::path base = tmp.path / "restart";
  const auto file = write_pipeline(base, pipeline(nats.url(), s, base));
  auto w = start_worker(file, base, "w");
  Child run({CLUSTER_PROC, "run", file.string()}, child_dir(base, "main"));
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (slurp(base / "w" / ".child.err").find("joining run") == std::string::npos && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(300ms);
  nats.stop();
  std::this_thread::sleep_for(1500ms);
  nats.start();
  auto r = run.wait(120s);
  INFO(r.err);
  INFO(slurp(base / "w" / ".child.err"));
  REQUIRE(!r.timed_out);  // never hangs
  REQUIRE(r.code == 0);
  same_as_reference(base, ref, s.records);
  CHECK(summary_of(r).at("duration_ms").to_number<double>() > 1500);  // it ran through the outage
}

TEST_CASE("cluster: NATS unreachable: check --env exits 2, run exits 1, both say where", "[cluster]") {
  Dir tmp;
  const int port = testnats::free_port();  // nobody listens there
  const auto file = write_pipeline(tmp.path, R"(name: down
cluster: {nats: "nats://flowrun:hunter2@127.0.0.1:)" + std::to_string(port) + R"(", groups: {work: {}}}
nodes:
  src: {type: file, path: in.jsonl}
  out: {type: jsonl, inputs: [src], path: out.jsonl, group: work}
)");
  std::ofstream(tmp.path / "in.jsonl") << "{\"id\": \"a\"}\n";
  auto c = flowrun::testing::run_child({FLOWRUN_BIN, "check", "--env", file.string()}, tmp.path);
  CHECK(c.code == 2);
  CHECK(c.err.find("cannot reach NATS at nats://127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(c.err.find("hunter2") == std::string::npos);  // the password never shows
  auto r = flowrun::testing::run_child({FLOWRUN_BIN, "run", file.string()}, tmp.path);
  CHECK(r.code == 1);
  CHECK(r.err.find("cannot reach NATS") != std::string::npos);
  CHECK(r.err.find("hunter2") == std::string::npos);
}

TEST_CASE("cluster: placement: check names the node, dot draws groups and NATS edges, worker wants a group", "[cluster]") {
  Dir tmp;
  const std::string head = "name: placed\ncluster: {nats: \"nats://127.0.0.1:4222\", groups: {work: {}}}\nnodes:\n";
  const auto bad = write_pipeline(tmp.path / "bad", head + "  src: {type: file, path: in.jsonl, group: work}\n"
                                                           "  out: {type: jsonl, inputs: [src], path: o.jsonl, group: wrok}\n");
  auto c = flowrun::testing::run_child({FLOWRUN_BIN, "check", bad.string()}, tmp.path);
  CHECK(c.code == 2);
  CHECK(c.err.find("node 'src' is a source and must run in group main") != std::string::npos);
  CHECK(c.err.find("group 'wrok' is not declared in cluster.groups") != std::string::npos);
  CHECK(c.err.find("p.yaml:5:") != std::string::npos);  // file:line of the node

  const auto good = write_pipeline(tmp.path / "good", head + "  src: {type: file, path: in.jsonl}\n"
                                                             "  out: {type: jsonl, inputs: [src], path: o.jsonl, group: work}\n");
  auto d = flowrun::testing::run_child({FLOWRUN_BIN, "dot", good.string()}, tmp.path);
  REQUIRE(d.code == 0);
  CHECK(d.out.find("subgraph \"cluster_group_work\"") != std::string::npos);
  CHECK(d.out.find("label=\"NATS\"") != std::string::npos);

  auto w = flowrun::testing::run_child({FLOWRUN_BIN, "worker", good.string(), "--group", "nope"}, tmp.path);
  CHECK(w.code == 2);
  CHECK(w.err.find("no such group; worker groups: work") != std::string::npos);
  const auto plain = write_pipeline(tmp.path / "plain", "name: plain\nnodes:\n  src: {type: file, path: in.jsonl}\n"
                                                          "  out: {type: jsonl, inputs: [src], path: o.jsonl, group: work}\n");
  auto p = flowrun::testing::run_child({FLOWRUN_BIN, "check", plain.string()}, tmp.path);
  CHECK(p.code == 2);
  CHECK(p.err.find("needs a top-level `cluster:`") != std::string::npos);
}

TEST_CASE("cluster: check warns when a worker group writes a SQLite store, not a PostgreSQL one", "[cluster]") {
  Dir tmp;
  const std::string head = "name: stored\ncluster: {nats: \"nats://127.0.0.1:4222\", groups: {work: {}}}\n";
  const std::string nodes = "nodes:\n  src: {type: file, path: in.jsonl}\n"
                            "  save: {type: store, inputs: [src], kind: raw, group: work}\n";
  const auto local = write_pipeline(tmp.path / "sqlite", head + "store: sqlite:out.db\n" + nodes);
  auto c = flowrun::testing::run_child({FLOWRUN_BIN, "check", local.string()}, tmp.path);
  INFO(c.err);
  CHECK(c.code == 0);  // a warning: one worker on the same machine is a valid setup
  CHECK(c.err.find("p.yaml:6:") != std::string::npos);
  CHECK(c.err.find("node 'save' writes the store sqlite: in group 'work'") != std::string::npos);
  CHECK(c.err.find("use a PostgreSQL store") != std::string::npos);

  const auto in_main = write_pipeline(tmp.path / "main", head + "store: sqlite:out.db\n" +
                                                            "nodes:\n  src: {type: file, path: in.jsonl}\n"
                                                            "  save: {type: store, inputs: [src], kind: raw}\n");
  auto m = flowrun::testing::run_child({FLOWRUN_BIN, "check", in_main.string()}, tmp.path);
  CHECK(m.code == 0);
  CHECK(m.err.find("writes the store") == std::string::npos);

  const auto shared = write_pipeline(tmp.path / "pg", head + "store: postgresql://flowrun:secret@127.0.0.1:5/db\n" + nodes);
  auto p = flowrun::testing::run_child({FLOWRUN_BIN, "check", shared.string()}, tmp.path);
  CHECK(p.code == 0);
  CHECK(p.err.find("writes the store") == std::string::npos);
}
