// The `notify` node end to end: a real pipeline run, a real webhook server and a real SMTP server
// (STARTTLS, AUTH) on 127.0.0.1. Content, retries, a server that is down, failed runs.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>

#include "engine/json_text.hpp"
#include "engine/metrics.hpp"
#include "engine/pipeline.hpp"
#include "nodes/notify/message.hpp"
#include "nodes/notify/register.hpp"
#include "nodes/store/register.hpp"
#include "tests/store/test_nodes.hpp"
#include "tools/fixtures/notify/smtp_server.hpp"
#include "tools/fixtures/notify/webhook_server.hpp"
#include "tests/shared/run_checks.hpp"
#include "tests/shared/temp_dir.hpp"

using namespace flowrun;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

using flowrun::testing::TempDir;

// A port nothing listens on: bound, then closed.
int closed_port() {
  fixtures::WebhookServer s;
  return s.port();
}

Registry registry() {
  Registry reg;
  register_store_nodes(reg);
  register_notify_nodes(reg);
  testnodes::register_test_nodes(reg);
  return reg;
}

LoadResult load(const std::string& yaml, const fs::path& dir, const Registry& reg) {
  auto loaded = load_pipeline_string(yaml, (dir / "p.yaml").string(), reg);
  std::string diags;
  for (const auto& d : loaded.diagnostics.all()) diags += d.str() + "\n";
  INFO(diags);
  REQUIRE(loaded.ok());
  return loaded;
}

// test_gen -> store, and a notify node with `notify_options` (a YAML flow map's inside).
RunSummary run_notify(const fs::path& dir, const std::string& notify_options, const std::string& extra_top = "") {
  auto reg = registry();
  const std::string yaml = "name: daily\nstore: sqlite:" + (dir / "s.db").string() + "\n" + extra_top + R"(
nodes:
  gen: {type: test_gen, count: 12}
  store: {type: store, inputs: [gen]}
  tell: {type: notify, inputs: [gen], after: [store], retry_base_delay: 10ms, )" + notify_options + "}\n";
  auto loaded = load(yaml, dir, reg);
  return flowrun::testing::run_checked(loaded.graph, reg);
}

double counter(const RunSummary& s, const char* k) {
  auto it = s.counters.find(k);
  return it == s.counters.end() ? 0 : it->second;
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string all_warnings(const RunSummary& s) {
  std::string w;
  for (const auto& x : s.warnings) w += x + "\n";
  return w;
}

}  // namespace

TEST_CASE("notify: the message has the headline, the top new listings, money and dates as people write them", "[notify]") {
  RunSummary s;
  s.pipeline = "daily", s.run_id = "r9", s.status = "ok", s.started_at = "2026-12-02T13:00:00Z", s.duration_ms = 4200;
  json::object rep{{"headline", json::object{{"new", 3}, {"new_listings", 2}, {"new_parcels", 1}, {"changed", 1},
                                             {"price_changes", 1}, {"unchanged", 40}, {"dead_letters", 2}}},
                   {"listings", json::array{
                        json::object{{"kind", "price_change"}, {"address", "9 Cut St"}, {"price", 90000}},
                        json::object{{"kind", "new"}, {"address", "1 Main St, Phoenix"}, {"zip", "85031"}, {"price", 1250000},
                                     {"cap_rate", 6.25}, {"rental_estimate", 1850}, {"recommendation", "buy"},
                                     {"url", "https://listings.example/1"}},
                        json::object{{"kind", "new"}, {"address", "2 Side St"}, {"price", 300000}}}}};
  auto m = notify::compose(s, rep, 1, "America/Phoenix", "https://reports.example/today.html");
  CHECK(m.subject == "[flowrun] daily ok: 2 new listings, 1 price changes");
  CHECK(!m.failed);
  CHECK(has(m.text, "started Dec 2, 2026, 6:00 AM MST, took 4.2 s"));
  CHECK(has(m.text, "3 new (2 listings, 1 county parcels), 1 changed (1 price changes), 40 unchanged, 2 rejected"));
  CHECK(has(m.text, "• 1 Main St, Phoenix 85031: $1,250,000, cap rate 6.3%, rent $1,850/mo, LLM says buy"));
  CHECK(has(m.text, "https://listings.example/1"));
  CHECK(!has(m.text, "2 Side St"));  // top: 1
  CHECK(!has(m.text, "9 Cut St"));   // a price change is not a new listing
  CHECK(has(m.text, "Report: https://reports.example/today.html"));

  s.status = "failed", s.failure = "node 'store' failed: disk full";
  auto f = notify::compose(s, {}, 5, "UTC", "");
  CHECK(f.failed);
  CHECK(f.subject == "[flowrun] daily failed: node 'store' failed: disk full");
  CHECK(has(f.text, "Why: node 'store' failed: disk full"));

  auto slack = json::parse(notify::webhook_body(m, "slack")).as_object();
  CHECK(has(std::string(slack.at("text").as_string()), "2 new listings"));
  auto discord = json::parse(notify::webhook_body(m, "discord")).as_object();
  CHECK(discord.at("content").as_string().size() <= 2000);
  auto teams = json::parse(notify::webhook_body(f, "teams")).as_object();
  CHECK(teams.at("@type") == "MessageCard");
  CHECK(teams.at("themeColor") == "CF222E");

  const auto mail = notify::mail_text(f, "flowrun@example.com", {"a@example.com", "b@example.com"}, "Wed, 02 Dec 2026 13:00:00 +0000", "<x@y>");
  CHECK(has(mail, "To: a@example.com, b@example.com\r\n"));
  CHECK(has(mail, "\r\n\r\nRun r9 of daily: failed"));
  f.subject = "daily\r\nBcc: evil@example.com é";
  CHECK(!has(notify::mail_text(f, "a@b", {"c@d"}, "d", "<i>"), "\r\nBcc:"));  // no header injection
}

TEST_CASE("notify: a webhook gets the run's headline when it ends", "[notify][webhook]") {
  TempDir t("hook");
  fixtures::WebhookServer hook;
  auto s = run_notify(t.path, "webhook: " + hook.url("/hooks/T000/B000"));
  CHECK(s.status == "ok");
  REQUIRE(hook.posts().size() == 1);
  const auto post = hook.posts()[0];
  CHECK(post.path == "/hooks/T000/B000");
  CHECK(post.content_type == "application/json");
  const std::string text(json::parse(post.body).at("text").as_string());
  CHECK(has(text, "[flowrun] daily ok"));
  CHECK(has(text, "12 new (12 listings, 0 county parcels)"));
  CHECK(counter(s, "notify.sent") == 1);
  CHECK(counter(s, "notify.failed") == 0);
}

TEST_CASE("notify: a webhook answering 503 is retried, one that is down is a warning, not a failed run", "[notify][webhook]") {
  TempDir t("retry");
  {
    fixtures::WebhookServer flaky(2, 503);
    auto s = run_notify(t.path, "webhook: " + flaky.url(), "");
    CHECK(s.status == "ok");
    CHECK(flaky.requests() == 3);
    CHECK(flaky.posts().size() == 1);
    CHECK(counter(s, "notify.sent") == 1);
  }
  {
    fixtures::WebhookServer broken(100, 503);  // never recovers
    auto s = run_notify(t.path, "webhook: " + broken.url() + ", retries: 2", "");
    CHECK(s.status == "ok");
    CHECK(s.exit_code == 0);
    CHECK(broken.requests() == 3);
    CHECK(counter(s, "notify.failed") == 1);
    CHECK(has(all_warnings(s), "webhook failed: webhook answered HTTP 503"));
  }
  // Down: the URL holds a token (from the environment); the warning must not show it.
  ::setenv("FLOWRUN_TEST_HOOK", ("http://127.0.0.1:" + std::to_string(closed_port()) + "/hooks/SECRET-TOKEN-42").c_str(), 1);
  auto s = run_notify(t.path, "webhook: \"${env.FLOWRUN_TEST_HOOK}\", retries: 1");
  ::unsetenv("FLOWRUN_TEST_HOOK");
  CHECK(s.status == "ok");
  CHECK(counter(s, "notify.failed") == 1);
  CHECK(has(all_warnings(s), "notify 'tell': webhook failed"));
  CHECK(!has(all_warnings(s), "SECRET-TOKEN-42"));
  CHECK(!has(to_json_text(s.to_json()), "SECRET-TOKEN-42"));
}

TEST_CASE("notify: `when: failure` stays quiet on a good run and speaks when a node cannot start", "[notify][webhook]") {
  TempDir t("failure");
  fixtures::WebhookServer hook;
  auto ok = run_notify(t.path, "when: failure, webhook: " + hook.url());
  CHECK(ok.status == "ok");
  CHECK(hook.posts().empty());

  auto reg = registry();
  const std::string yaml = "name: daily\nstore: sqlite:" + (t.path / "s.db").string() + R"(
nodes:
  gen: {type: test_gen, count: 3}
  store: {type: store, inputs: [gen], url: "sqlite:/proc/no/such/place.db"}
  tell: {type: notify, inputs: [gen], when: failure, webhook: )" + hook.url() + "}\n";
  auto loaded = load(yaml, t.path, reg);
  auto failed = flowrun::testing::run_checked(loaded.graph, reg);
  CHECK(failed.exit_code == 1);
  INFO(to_json_text(failed.to_json()));
  REQUIRE(hook.posts().size() == 1);
  const std::string text(json::parse(hook.posts()[0].body).at("text").as_string());
  CHECK(has(text, "daily failed"));
  CHECK(has(text, "node 'store' could not start"));
}

TEST_CASE("notify: e-mail over SMTP with STARTTLS and a password from the environment", "[notify][smtp]") {
  TempDir t("smtp");
  fixtures::SmtpServer smtp({true, "s3cret-pass", 0});
  ::setenv("FLOWRUN_TEST_SMTP_PASSWORD", "s3cret-pass", 1);
  auto s = run_notify(t.path, "smtp: \"" + smtp.url() + "\", smtp_user: reports@example.com, smtp_password: "
                             "\"${env.FLOWRUN_TEST_SMTP_PASSWORD}\", ca_file: " + smtp.ca_file() +
                             ", mail_from: reports@example.com, mail_to: [investor@example.com, partner@example.com]");
  ::unsetenv("FLOWRUN_TEST_SMTP_PASSWORD");
  CHECK(s.status == "ok");
  CHECK(counter(s, "notify.sent") == 1);
  REQUIRE(smtp.mails().size() == 1);
  const auto m = smtp.mails()[0];
  CHECK(m.over_tls);  // STARTTLS before AUTH and DATA
  CHECK(m.user == "reports@example.com");
  CHECK(m.password == "s3cret-pass");
  CHECK(m.from == "reports@example.com");
  CHECK(m.to == std::vector<std::string>{"investor@example.com", "partner@example.com"});
  CHECK(has(m.data, "Subject: [flowrun] daily ok: 12 new listings, 0 price changes\r\n"));
  CHECK(has(m.data, "To: investor@example.com, partner@example.com\r\n"));
  CHECK(has(m.data, "12 new (12 listings, 0 county parcels)"));
  CHECK(!has(to_json_text(s.to_json()), "s3cret-pass"));
}

TEST_CASE("notify: SMTP retries a refused connection, gives up on a wrong password, never sends in clear", "[notify][smtp]") {
  TempDir t("smtp-fail");
  {
    fixtures::SmtpServer busy({true, "", 1});  // the first connection gets 421
    auto s = run_notify(t.path, "smtp: \"" + busy.url() + "\", ca_file: " + busy.ca_file() +
                               ", mail_from: a@example.com, mail_to: b@example.com");
    CHECK(counter(s, "notify.sent") == 1);
    CHECK(busy.connections() == 2);
    CHECK(busy.mails().size() == 1);
  }
  {
    fixtures::SmtpServer strict({true, "right", 0});
    auto s = run_notify(t.path, "smtp: \"" + strict.url() + "\", smtp_user: u, smtp_password: wrong-pass-77, ca_file: " +
                               strict.ca_file() + ", mail_from: a@example.com, mail_to: b@example.com");
    CHECK(s.status == "ok");
    CHECK(counter(s, "notify.failed") == 1);
    CHECK(strict.connections() == 1);  // a refused login is not retried
    CHECK(strict.mails().empty());
    CHECK(has(all_warnings(s), "e-mail failed"));
    CHECK(!has(all_warnings(s), "wrong-pass-77"));
  }
  {
    fixtures::SmtpServer plain({false, "", 0});  // offers no STARTTLS
    auto s = run_notify(t.path, "smtp: \"" + plain.url() + "\", mail_from: a@example.com, mail_to: b@example.com");
    CHECK(counter(s, "notify.failed") == 1);
    CHECK(plain.mails().empty());
    auto relay = run_notify(t.path, "smtp: \"" + plain.url() + "\", starttls: off, mail_from: a@example.com, mail_to: b@example.com");
    CHECK(counter(relay, "notify.sent") == 1);
    CHECK(plain.mails().size() == 1);
  }
  auto down = run_notify(t.path, "smtp: \"smtp://127.0.0.1:" + std::to_string(closed_port()) +
                                    "\", retries: 1, mail_from: a@example.com, mail_to: b@example.com");
  CHECK(down.status == "ok");
  CHECK(counter(down, "notify.failed") == 1);
  CHECK(has(all_warnings(down), "e-mail failed: e-mail not sent after 2 attempts"));
}
