// `flowrun check` rejects bad report and notify options at file:line:column: required, range,
// choice, alias given twice, cross-field rules, and a time zone that names no zone.
#include <catch2/catch.hpp>

#include <string>

#include "engine/pipeline.hpp"
#include "nodes/notify/register.hpp"
#include "nodes/report/register.hpp"
#include "tests/store/test_nodes.hpp"

using namespace flowrun;

namespace {

Registry registry() {
  Registry reg;
  register_report_nodes(reg);
  register_notify_nodes(reg);
  testnodes::register_test_nodes(reg);
  return reg;
}

// A pipeline whose third line is the node under test, fed by a generator.
std::string pipeline(const std::string& node) {
  return "name: t\nnodes:\n  gen: {type: test_gen, count: 1}\n  x: {inputs: [gen], " + node + "}\n";
}

std::string errors_of(const std::string& yaml) {
  auto reg = registry();
  auto r = load_pipeline_string(yaml, "p.yaml", reg);
  std::string out;
  for (const auto& d : r.diagnostics.all())
    if (d.severity == Severity::error) out += d.str() + "\n";
  return out;
}

std::string only_error(const std::string& yaml) {
  auto reg = registry();
  auto r = load_pipeline_string(yaml, "p.yaml", reg);
  INFO(errors_of(yaml));
  REQUIRE(r.diagnostics.error_count() == 1);
  const std::string e = errors_of(yaml);
  return e.substr(0, e.size() - 1);
}

}  // namespace

TEST_CASE("report: a missing required path, a format not offered, a period out of range", "[options]") {
  CHECK_THAT(only_error(pipeline("type: report")),
             Catch::StartsWith("p.yaml:4:3: error: node 'x': missing required option 'path'"));
  CHECK(only_error(pipeline("type: report, path: r.html, format: pdf")) ==
        "p.yaml:4:58: error: node 'x': option 'format' must be one of json, csv, html, got 'pdf'");
  CHECK_THAT(only_error(pipeline("type: report, path: r.html, period_days: 0")),
             Catch::Equals("p.yaml:4:63: error: node 'x': option 'period_days' must be from 1 to 366, got 0"));
  CHECK(only_error(pipeline("type: report, path: r.html, timezone: America/Phoenx")) ==
        "p.yaml:4:60: error: node 'x': option 'timezone': unknown time zone 'America/Phoenx' (use an IANA name such as "
        "America/Phoenix)");
  CHECK(errors_of(pipeline("type: report, path: r.html, format: csv, period_days: 7, timezone: America/Phoenix")).empty());
}

TEST_CASE("notify: an alias works, and naming one option twice is an error", "[options]") {
  CHECK(errors_of(pipeline("type: notify, webhook_url: 'http://127.0.0.1:9/h'")).empty());
  CHECK(only_error(pipeline("type: notify, webhook: 'http://127.0.0.1:9/a', webhook_url: 'http://127.0.0.1:9/b'")) ==
        "p.yaml:4:82: error: node 'x': option 'webhook' is given twice (as 'webhook' and 'webhook_url')");
}

TEST_CASE("notify: cross-field rules, choices and ranges are check errors", "[options]") {
  CHECK(only_error(pipeline("type: notify, top: 3")) ==
        "p.yaml:4:3: error: node 'x': option 'webhook': set `webhook:` or `smtp:` (or both)");
  CHECK(only_error(pipeline("type: notify, smtp: 'smtp://127.0.0.1:25', mail_from: a@example.com")) ==
        "p.yaml:4:42: error: node 'x': option 'smtp': e-mail needs `mail_to:`");
  CHECK(only_error(pipeline("type: notify, smtp: 'http://127.0.0.1:25', mail_from: a@b.c, mail_to: [d@e.f]")) ==
        "p.yaml:4:42: error: node 'x': option 'smtp': must start with smtp:// (STARTTLS) or smtps:// (TLS), got "
        "'http://127.0.0.1:25'");
  CHECK_THAT(only_error(pipeline("type: notify, webhook: 'http://127.0.0.1:9/h', webhook_format: slak")),
             Catch::StartsWith("p.yaml:4:85: error: node 'x': option 'webhook_format' must be one of slack, teams, discord, got 'slak'"));
  CHECK_THAT(only_error(pipeline("type: notify, webhook: 'http://127.0.0.1:9/h', retries: -1")),
             Catch::Equals("p.yaml:4:78: error: node 'x': option 'retries' must be from 0 to 10, got -1"));
  CHECK(only_error(pipeline("type: notify, webhook: 'http://127.0.0.1:9/h', top: many")) ==
        "p.yaml:4:74: error: node 'x': option 'top' must be an integer, got 'many'");
}
