// The Grafana dashboards (tools/deploy/grafana/*.json) ask only for what flowrun exports: every
// series selector in every query, with its label matchers, must find a series in the metrics
// textfile of the shipped daily run, so renaming a metric breaks this test, not a dashboard. With
// Prometheus installed, every query is also run by Prometheus itself against those metrics and
// must return data.
#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/http/loopback_server.hpp"
#include "tests/shared/flowrun_runs.hpp"

using namespace flowrun::testing;
namespace json = boost::json;

namespace {

using Labels = std::map<std::string, std::string>;
struct Sample {
  std::string name;
  Labels labels;
};

struct Query {
  std::string dashboard, panel, expr;
};

// A PromQL double-quoted string's content, unescaped ("a\\.b" -> a\.b).
std::string unquote(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

const std::regex kLabel(R"re(([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)")re");

std::vector<Sample> parse_textfile(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    auto brace = line.find('{'), space = line.find(' ');
    s.name = line.substr(0, std::min(brace, space));
    if (brace < space) {
      const std::string body = line.substr(brace + 1, line.rfind('}') - brace - 1);
      for (std::sregex_iterator it(body.begin(), body.end(), kLabel), end; it != end; ++it)
        s.labels[(*it)[1]] = unquote((*it)[3]);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<fs::path> dashboard_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(std::string(FLOWRUN_SOURCE_DIR) + "/tools/deploy/grafana"))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Every query of every panel, and each query variable as the selector it lists values of.
std::vector<Query> dashboard_queries(std::vector<std::string>* titles = nullptr) {
  std::vector<Query> out;
  for (const auto& f : dashboard_files()) {
    auto d = json::parse(slurp(f)).as_object();
    const std::string name = f.filename().string();
    for (const auto& p : d.at("panels").as_array()) {
      const auto& panel = p.as_object();
      const std::string title(panel.at("title").as_string());
      if (panel.at("type") == "row") continue;
      if (titles) titles->push_back(title);
      for (const auto& t : panel.at("targets").as_array())
        out.push_back({name, title, std::string(t.as_object().at("expr").as_string())});
    }
    static const std::regex label_values(R"(label_values\(([^,]+),)");
    for (const auto& v : d.at("templating").as_object().at("list").as_array()) {
      const auto& var = v.as_object();
      if (var.at("type") != "query") continue;
      const std::string def(var.at("definition").as_string());
      std::smatch m;
      REQUIRE(std::regex_search(def, m, label_values));
      out.push_back({name, "variable " + std::string(var.at("name").as_string()), m[1]});
    }
  }
  return out;
}

struct Matcher {
  std::string label, op, value;
  bool accepts(const Labels& labels) const {
    if (value.find('$') != std::string::npos) return true;  // a dashboard variable: any value
    auto it = labels.find(label);
    const std::string have = it == labels.end() ? "" : it->second;
    if (op == "=") return have == value;
    if (op == "!=") return have != value;
    const bool full = std::regex_match(have, std::regex(value));
    return op == "=~" ? full : !full;
  }
};

struct Selector {
  std::string metric;
  std::vector<Matcher> matchers;
  std::string text;
};

std::vector<Selector> selectors_of(const std::string& expr) {
  static const std::regex sel(R"(\b(flowrun_[A-Za-z0-9_]+)\s*(\{([^}]*)\})?)");
  std::vector<Selector> out;
  for (std::sregex_iterator it(expr.begin(), expr.end(), sel), end; it != end; ++it) {
    Selector s{(*it)[1], {}, (*it)[0]};
    const std::string body = (*it)[3];
    for (std::sregex_iterator m(body.begin(), body.end(), kLabel); m != end; ++m)
      s.matchers.push_back({(*m)[1], (*m)[2], unquote((*m)[3])});
    out.push_back(std::move(s));
  }
  return out;
}

bool found(const Selector& s, const std::vector<Sample>& samples) {
  for (const auto& x : samples) {
    if (x.name != s.metric) continue;
    bool all = true;
    for (const auto& m : s.matchers) all = all && m.accepts(x.labels);
    if (all) return true;
  }
  return false;
}

const std::vector<Sample>& daily_samples() {
  static const std::vector<Sample> samples = [] {
    const auto& run = daily_run();
    INFO(run.result.err.substr(0, 3000));
    REQUIRE(run.result.exited);
    REQUIRE(run.result.code == 0);
    return parse_textfile(slurp(run.metrics()));
  }();
  return samples;
}

std::string for_prometheus(std::string expr) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"$pipeline", ".*"}, {"$__interval", "1d"}})
    for (std::size_t at; (at = expr.find(from)) != std::string::npos;) expr.replace(at, from.size(), to);
  return expr;
}

// Runs `expr` as an instant query; returns the number of series, or -1 with `why` set.
int prometheus_query(httplib::Client& prom, const std::string& expr, std::string& why) {
  auto res = prom.Get("/api/v1/query", httplib::Params{{"query", expr}}, httplib::Headers{});
  if (!res) {
    why = "no answer from Prometheus";
    return -1;
  }
  boost::system::error_code ec;
  auto parsed = json::parse(res->body, ec);
  if (ec || !parsed.is_object() || parsed.as_object().at("status") != "success") {
    why = res->body;
    return -1;
  }
  return static_cast<int>(parsed.as_object().at("data").as_object().at("result").as_array().size());
}

}  // namespace

TEST_CASE("dashboards: a Prometheus datasource variable, and every panel described in the docs", "[dashboards]") {
  const auto files = dashboard_files();
  REQUIRE(files.size() == 3);
  for (const auto& f : files) {
    INFO(f);
    auto d = json::parse(slurp(f)).as_object();
    bool has_ds = false;
    for (const auto& v : d.at("templating").as_object().at("list").as_array())
      has_ds = has_ds || (v.as_object().at("type") == "datasource" && v.as_object().at("query") == "prometheus");
    CHECK(has_ds);
    for (const auto& p : d.at("panels").as_array()) {
      const auto& panel = p.as_object();
      if (panel.at("type") == "row") continue;
      INFO(panel.at("title"));
      CHECK(panel.at("datasource").as_object().at("uid") == "${datasource}");
      CHECK(!panel.at("description").as_string().empty());
      for (const auto& t : panel.at("targets").as_array())
        CHECK(t.as_object().at("datasource").as_object().at("uid") == "${datasource}");
    }
  }
  std::vector<std::string> titles;
  dashboard_queries(&titles);
  const std::string docs = slurp(std::string(FLOWRUN_SOURCE_DIR) + "/docs/operations.md");
  CHECK(titles.size() >= 30);
  for (const auto& t : titles) {
    INFO("panel '" << t << "' is not described in docs/operations.md");
    CHECK(docs.find(t) != std::string::npos);
  }
}

TEST_CASE("dashboards: every series a query selects is in the daily run's metrics textfile", "[dashboards]") {
  const auto& samples = daily_samples();
  REQUIRE(samples.size() > 100);
  std::size_t checked = 0;
  std::set<std::string> metrics;
  for (const auto& q : dashboard_queries()) {
    const auto sels = selectors_of(q.expr);
    INFO(q.dashboard << ": " << q.panel << ": " << q.expr);
    CHECK(!sels.empty());
    for (const auto& s : sels) {
      INFO("no series in the textfile matches " << s.text);
      CHECK(found(s, samples));
      metrics.insert(s.metric);
      ++checked;
    }
  }
  CHECK(checked >= 50);
  // The families the issue's panels rest on are all used.
  for (const char* m : {"flowrun_node_queue", "flowrun_run_counter", "flowrun_resource", "flowrun_run_duration_seconds",
                        "flowrun_node_errors_total", "flowrun_node_latency_seconds", "flowrun_run_dead_letters"})
    CHECK(metrics.count(m));
}

TEST_CASE("dashboards: the selector check catches a renamed metric or a label value that is not there", "[dashboards]") {
  const auto& samples = daily_samples();
  CHECK(found(selectors_of(R"(flowrun_run_counter{name="llm.tokens"})")[0], samples));
  CHECK_FALSE(found(selectors_of(R"(flowrun_run_counter{name="llm.tokenz"})")[0], samples));
  CHECK_FALSE(found(selectors_of(R"(flowrun_node_records_in{pipeline=~"$pipeline"})")[0], samples));
  CHECK(found(selectors_of(R"(flowrun_run_counter{name=~".+\\.http_2xx"})")[0], samples));
  CHECK_FALSE(found(selectors_of(R"(flowrun_run_counter{name=~".+\\.http_9xx"})")[0], samples));
}

TEST_CASE("dashboards: Prometheus runs every query against the daily run's metrics and gets data", "[dashboards][prometheus]") {
  if (!fs::exists("/usr/bin/prometheus")) {
    WARN("Prometheus not installed (tools/install-deps.sh installs it): queries not run by Prometheus");
    return;
  }
  const std::string metrics = slurp(daily_run().metrics());
  REQUIRE(!metrics.empty());
  flowrun::testing::LoopbackServer exporter;  // stands in for node_exporter's textfile collector
  exporter.svr.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics, "text/plain; version=0.0.4");
  });
  exporter.start();

  const auto dir = temp_dir("prometheus");
  std::ofstream(dir / "prometheus.yml") << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                                           "scrape_configs:\n  - job_name: flowrun\n"
                                           "    static_configs: [{targets: ['127.0.0.1:"
                                        << exporter.port() << "']}]\n";
  const int port = flowrun::testing::closed_port();
  flowrun::testing::Child prometheus({"/usr/bin/prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                                      "--storage.tsdb.path=" + (dir / "data").string(),
                                      "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                                     dir);
  httplib::Client prom("127.0.0.1", port);
  prom.set_connection_timeout(1);
  std::string why;
  int series = 0;
  for (int i = 0; i < 300 && series < 1; ++i) {  // up to 30 s for the first scrape
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(prometheus.running());
    series = prometheus_query(prom, "flowrun_run_status", why);
  }
  REQUIRE(series > 0);
  for (const auto& q : dashboard_queries()) {
    const std::string expr = for_prometheus(q.expr);
    INFO(q.dashboard << ": " << q.panel << ": " << expr);
    const int n = prometheus_query(prom, expr, why);
    INFO(why);
    CHECK(n > 0);
  }
}
