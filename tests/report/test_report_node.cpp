// The `report` node in a real pipeline: it writes after the run ledger has the finished run, and
// a report that cannot be written fails the run and keeps yesterday's file.
#include <catch2/catch.hpp>
#include <sys/mount.h>

#include <functional>

#include "engine/pipeline.hpp"
#include "nodes/report/register.hpp"
#include "nodes/store/register.hpp"
#include "tests/report/report_test_util.hpp"
#include "tests/store/test_nodes.hpp"
#include "tests/shared/run_checks.hpp"

using namespace flowrun;
using namespace reporttest;

namespace {

struct Ran {
  RunSummary summary;
  std::string ledger_status, ledger_summary;
};

Ran run_with_report(const fs::path& dir, const std::string& report_path, const std::string& extra = "",
                    const std::function<void()>& before_run = {}) {
  Registry reg;
  register_store_nodes(reg);
  register_report_nodes(reg);
  testnodes::register_test_nodes(reg);
  const std::string yaml = "name: reportnode\nstore: sqlite:" + (dir / "s.db").string() + R"(
nodes:
  gen: {type: test_gen, count: 30}
  store: {type: store, inputs: [gen], batch_size: 8}
  summary: {type: report, inputs: [gen], after: [store], timezone: America/Phoenix, path: )" + report_path + extra + "}\n";
  auto loaded = load_pipeline_string(yaml, (dir / "p.yaml").string(), reg);
  std::string diags;
  for (const auto& d : loaded.diagnostics.all()) diags += d.str() + "\n";
  INFO(diags);
  REQUIRE(loaded.ok());
  if (before_run) before_run();
  Ran r{flowrun::testing::run_checked(loaded.graph, reg), "", ""};
  auto st = store::Store::open("sqlite:" + (dir / "s.db").string());
  auto rows = st->query("SELECT status, summary FROM runs WHERE run_id = ?", {r.summary.run_id});
  REQUIRE(rows.size() == 1);
  r.ledger_status = rows[0][0].value_or(""), r.ledger_summary = rows[0][1].value_or("");
  return r;
}

std::size_t temp_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.path().filename().string().find(".tmp") != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("report node: the report shows the finished run, its nodes and its counts", "[report][pipeline]") {
  auto dir = temp_dir("node");
  auto r = run_with_report(dir, (dir / "out/summary.json").string());
  CHECK(r.summary.status == "ok");
  CHECK(r.ledger_status == "ok");
  auto rep = json::parse(slurp(dir / "out/summary.json")).as_object();
  CHECK(rep.at("run").at("status") == "ok");  // not "running": the ledger had the final row
  CHECK(rep.at("run").at("run_id") == r.summary.run_id.c_str());
  CHECK(!rep.at("run").at("finished_at").is_null());
  CHECK(rep.at("headline").at("new").to_number<int>() == 30);
  CHECK(rep.at("headline").at("source_records").to_number<int>() == 30);
  std::string ids;
  for (const auto& n : rep.at("quality").at("nodes").as_array()) ids += std::string(n.at("id").as_string()) + " ";
  CHECK_THAT(ids, Catch::Contains("gen ") && Catch::Contains("store ") && Catch::Contains("summary "));
  CHECK(rep.at("period").at("timezone") == "America/Phoenix");
  CHECK(temp_files(dir) == 0);
}

TEST_CASE("report node: a report that cannot be written fails the run, and the ledger says so", "[report][pipeline][write]") {
  auto dir = temp_dir("node-fail");
  // A directory in the way, made after the pipeline was checked (check rejects one already there).
  auto r = run_with_report(dir, (dir / "out/report.html").string(), "",
                           [&] { fs::create_directories(dir / "out/report.html"); });
  CHECK(r.summary.status == "failed");
  CHECK(r.summary.exit_code == 1);
  CHECK_THAT(r.summary.failure, Catch::Contains("summary") && Catch::Contains("report.html"));
  CHECK(r.ledger_status == "failed");
  CHECK_THAT(r.ledger_summary, Catch::Contains("report.html"));
  CHECK(temp_files(dir) == 0);
}

TEST_CASE("report node: a full disk fails the run and yesterday's report stays", "[report][pipeline][write]") {
  auto dir = temp_dir("node-full");
  const auto mnt = dir / "small";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=12k") != 0) {
    WARN("cannot mount a tmpfs here: full-disk case skipped");
    return;
  }
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount(p.c_str()); }
  } unmount{mnt};
  std::ofstream(mnt / "report.html") << "yesterday's report";
  auto r = run_with_report(dir, (mnt / "report.html").string());
  CHECK(r.summary.status == "failed");
  CHECK(r.summary.exit_code == 1);
  CHECK_THAT(r.summary.failure, Catch::Contains("No space left"));
  CHECK(r.ledger_status == "failed");
  CHECK(slurp(mnt / "report.html") == "yesterday's report");
  CHECK(temp_files(mnt) == 0);
}
