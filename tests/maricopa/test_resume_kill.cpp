// Resumable collection, the hard way: `flowrun run` is killed (SIGKILL, no chance to clean up) at
// random points of a 20 ZIP x 200 parcel crawl, five times, then resumed with --resume until it
// ends. Together the runs ask the county for nothing it already answered, and the store ends up
// holding exactly what an uninterrupted run stores.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <set>

#include "nodes/store/store.hpp"
#include "tests/shared/run_checks.hpp"
#include "tools/fixtures/assessor/assessor_server.hpp"

using namespace flowrun;
using namespace flowrun::fixtures;
namespace fs = std::filesystem;

namespace {

std::atomic<pid_t> g_child{0};

std::string pipeline_yaml(const std::string& base_url) {
  std::string zips;
  for (int z = 85001; z <= 85020; ++z) zips += (zips.empty() ? "" : ", ") + std::string("'") + std::to_string(z) + "'";
  return "name: resume-kill\nstore: sqlite:store.db\nnodes:\n"
         "  assessor:\n    type: maricopa_api\n    base_url: '" + base_url + "'\n    api_key: fixture-key\n"
         "    zips: [" + zips + "]\n    details: [valuations]\n    retry_base_delay: 1ms\n"
         "  raw:\n    type: store\n    inputs: [assessor]\n    kind: raw\n    batch_size: 50\n";
}

// Runs `flowrun run FILE [args]` in `dir`; returns the exit status (-signal when killed). A run
// that finished has its summary's balance checked (tests/shared/run_checks.hpp); a SIGKILLed one
// prints none, and what it had in flight is the resumed run's to fetch again (the store and the
// fixture's request counts below show that nothing was lost or asked twice).
int run_flowrun(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {FLOWRUN_BIN, "run", (dir / "p.yaml").string(), "-q", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    FILE* log = fopen("run.log", "a");
    FILE* summary = fopen("summary.json", "w");
    if (log) dup2(fileno(log), 2);
    if (summary) dup2(fileno(summary), 1);
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    execv(c[0], c.data());
    _exit(127);
  }
  g_child = pid;
  int status = 0;
  waitpid(pid, &status, 0);
  g_child = 0;
  if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1)) {
    std::ifstream in(dir / "summary.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    flowrun::testing::check_balanced(text);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::set<std::string> stored(const fs::path& dir) {
  auto store = store::Store::open("sqlite:" + (dir / "store.db").string());
  std::set<std::string> rows;
  for (const auto& r : store->query("SELECT source, source_id, content_hash FROM raw_records"))
    rows.insert(*r[0] + "|" + *r[1] + "|" + *r[2]);
  return rows;
}

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("flowrun-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST_CASE("a crawl killed five times at random points resumes without asking anything twice", "[resume][slow]") {
  const AssessorOptions data{.parcels_per_zip = 200};

  // What an uninterrupted crawl stores.
  AssessorServer whole_server(data);
  whole_server.start();
  const fs::path whole = fresh_dir("whole");
  std::ofstream(whole / "p.yaml") << pipeline_yaml(whole_server.base_url());
  REQUIRE(run_flowrun(whole, {}) == 0);
  const auto expected = stored(whole);
  const int all_requests = whole_server.requests();
  REQUIRE(expected.size() == 20 * 200);
  REQUIRE(all_requests == 20 * (8 + 200));

  // The same crawl, killed at random points.
  AssessorServer server(data);
  std::mutex mu;
  std::set<std::string> killed_at;  // the request in flight at each kill: it was never answered
  std::atomic<int> kill_after{0};
  server.on_request([&](const httplib::Request& req) {
    if (kill_after.load() <= 0 || --kill_after > 0) return;
    std::lock_guard lock(mu);
    killed_at.insert(req.target);
    if (pid_t p = g_child.load()) kill(p, SIGKILL);
  });
  server.start();
  const fs::path dir = fresh_dir("killed");
  std::ofstream(dir / "p.yaml") << pipeline_yaml(server.base_url());
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> pick(20, all_requests / 6);
  for (int i = 0; i < 5; ++i) {
    kill_after = pick(rng);
    INFO("kill " << i + 1 << " after " << kill_after.load() << " requests");
    CHECK(run_flowrun(dir, i == 0 ? std::vector<std::string>{} : std::vector<std::string>{"--resume"}) == -SIGKILL);
  }
  kill_after = 0;
  REQUIRE(run_flowrun(dir, {"--resume"}) == 0);

  REQUIRE(killed_at.size() == 5);
  int asked_twice = 0;
  for (const auto& [target, n] : server.target_counts()) {
    INFO(target);
    if (killed_at.count(target)) CHECK(n == 2);  // killed before the answer came, so asked again
    else CHECK(n == 1);
    asked_twice += n > 1;
  }
  CHECK(asked_twice == 5);
  CHECK(static_cast<int>(server.target_counts().size()) == all_requests);
  CHECK(stored(dir) == expected);
  fs::remove_all(whole);
  fs::remove_all(dir);
}
