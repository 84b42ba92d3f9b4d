#include "tests/reliability/daily_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

extern char** environ;

namespace flowrun::reltest {

namespace json = boost::json;

int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind 127.0.0.1:0");
  }
  ::close(fd);  // never listened on: a connect gets "connection refused"
  return ntohs(a.sin_port);
}

namespace {
struct Db {
  sqlite3* h = nullptr;
  explicit Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(h);
      h = nullptr;
    } else {
      sqlite3_busy_timeout(h, 5000);  // the child may be mid-transaction
    }
  }
  ~Db() { sqlite3_close(h); }
};
}  // namespace

long long sql_int(const std::string& db, const std::string& sql) {
  Db d(db);
  if (!d.h) return -1;
  sqlite3_stmt* st = nullptr;
  long long n = -1;
  if (sqlite3_prepare_v2(d.h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

std::vector<std::string> sql_strings(const std::string& db, const std::string& sql) {
  std::vector<std::string> out;
  Db d(db);
  if (!d.h) return out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(d.h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW) {
      auto* t = sqlite3_column_text(st, 0);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
    }
  sqlite3_finalize(st);
  return out;
}

bool exited_already(const Spawned& c, ChildResult* finished) {
  int status = 0;
  if (::waitpid(c.pid, &status, WNOHANG) != c.pid) return false;
  if (finished) collect(*finished, status, c);
  return true;
}

bool kill_now(const Spawned& c, ChildResult* finished) {
  ::kill(c.pid, SIGKILL);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  if (finished) collect(*finished, status, c);
  // It may have exited on its own between the last poll and the kill.
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

DailyHarness::DailyHarness(DailyOptions o) : opts_(std::move(o)) {
  opts_.assessor.api_key = "h10-fixture-key";
  assessor_ = std::make_unique<fixtures::AssessorServer>(opts_.assessor);
  assessor_->start(0);
  fixtures::ListingSiteOptions lo;
  lo.zips = {opts_.zip};
  listings_ = std::make_unique<fixtures::ListingSiteServer>(lo);
  listings_->start(0);
  if (opts_.llm_alive) {
    llm_ = std::make_unique<fixtures::FakeLlmServer>();
    llm_->set_latency(std::chrono::milliseconds(opts_.llm_latency_ms));
    llm_->start(0);
  } else {
    dead_llm_port_ = unused_port();
  }
}

DailyHarness::~DailyHarness() {
  if (llm_) llm_->stop();
  listings_->stop();
  assessor_->stop();
}

std::vector<std::string> DailyHarness::argv() const {
  const std::string site = listings_->base_url();
  std::vector<std::string> a = {
      flowrun_bin(), "run", "pipelines/daily.yaml", "--json", "--quiet",
      "--var", "zips=" + opts_.zip,
      "--set", "nodes.example_realty.base_url=" + site,
      "--set", "nodes.grid_homes.base_url=" + site,
      // The fixtures are ours: no need for the polite delays real sites and the county get.
      "--set", "nodes.example_realty.delay=10ms",
      "--set", "nodes.grid_homes.delay=10ms",
      "--set", "resources.rate_limits.assessor.min_delay=1ms",
      "--set", "resources.rate_limits.listing_sites.min_delay=1ms",
      "--set", "nodes.report.path=" + dir_.file("report.html"),
  };
  for (const auto& s : opts_.extra_sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  return a;
}

std::map<std::string, std::string> DailyHarness::env(const std::string& db_path) const {
  const std::string llm_url = llm_ ? llm_->url() : "http://127.0.0.1:" + std::to_string(dead_llm_port_);
  return {
      {"MARICOPA_API_KEY", opts_.assessor.api_key},
      {"OLLAMA_URL", llm_url},
      {"FLOWRUN_HTTP_MAP", "https://mcassessor.maricopa.gov=" + assessor_->base_url()},
      {"FLOWRUN_STORE", "sqlite:" + (db_path.empty() ? db() : db_path)},
      {"FLOWRUN_LLM_MODEL", ""},  // the pipeline's default model, which the fake serves
  };
}

Spawned DailyHarness::start(const std::string& db_path) {
  ++runs_;
  const std::string base = dir_.file("run-" + std::to_string(runs_));
  return spawn_child(argv(), env(db_path), FLOWRUN_SOURCE_DIR, base + ".out", base + ".err");
}

ChildResult DailyHarness::run(std::chrono::seconds limit, const std::string& db_path) {
  auto r = wait_child(start(db_path), limit);
  check_flowrun_run(argv(), r);  // a finished run balances, node by node
  return r;
}

Summary parse_summary(const std::string& text) {
  json::value v;
  try {
    v = json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("run summary is not JSON (") + e.what() + "): " + text.substr(0, 500));
  }
  const auto& o = v.as_object();
  auto num = [](const json::value* x) -> double {
    if (!x) return 0;
    if (x->is_int64()) return static_cast<double>(x->as_int64());
    if (x->is_uint64()) return static_cast<double>(x->as_uint64());
    if (x->is_double()) return x->as_double();
    return 0;
  };
  auto str = [](const json::value* x) { return x && x->is_string() ? std::string(x->as_string()) : ""; };
  Summary s;
  s.run_id = str(o.if_contains("run_id"));
  s.status = str(o.if_contains("status"));
  s.exit_code = static_cast<int>(num(o.if_contains("exit_code")));
  s.source_records = static_cast<long long>(num(o.if_contains("source_records")));
  s.dead_letters = static_cast<long long>(num(o.if_contains("dead_letters")));
  if (auto* ns = o.if_contains("nodes"); ns && ns->is_array())
    for (const auto& n : ns->as_array()) {
      const auto& no = n.as_object();
      NodeCounts c;
      c.role = str(no.if_contains("role"));
      c.in = static_cast<long long>(num(no.if_contains("in")));
      c.out = static_cast<long long>(num(no.if_contains("out")));
      c.errors = static_cast<long long>(num(no.if_contains("errors")));
      c.filtered = static_cast<long long>(num(no.if_contains("filtered")));
      auto* b = no.if_contains("balanced");
      c.balanced = b && b->is_bool() && b->as_bool();
      s.nodes[str(no.if_contains("id"))] = c;
    }
  if (auto* cs = o.if_contains("counters"); cs && cs->is_object())
    for (const auto& [k, val] : cs->as_object()) s.counters[std::string(k)] = num(&val);
  return s;
}

}  // namespace flowrun::reltest
