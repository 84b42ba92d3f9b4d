// The `notify` sink: when the run has ended and been recorded, sends its headline and top new
// listings to a chat webhook and/or by e-mail; on a failed run it always sends (`when: failure`
// sends only then). A notification that cannot be sent is logged, counted (notify.failed) and
// shown as a run warning, but never changes the run's outcome.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "engine/context.hpp"
#include "engine/metrics.hpp"
#include "engine/redact.hpp"
#include "engine/node_type.hpp"
#include "nodes/http/http_client.hpp"
#include "nodes/notify/message.hpp"
#include "nodes/notify/register.hpp"
#include "nodes/notify/senders.hpp"
#include "nodes/report/report.hpp"
#include "nodes/report/report_format.hpp"
#include "nodes/store/store.hpp"

namespace flowrun {

namespace {

std::string rfc2822_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

struct NotifyOptions {
  std::string when = "always";
  std::string webhook, webhook_format = "slack";
  std::string smtp, smtp_user, smtp_password, mail_from;
  std::vector<std::string> mail_to;
  std::string starttls = "required";
  std::string ca_file;
  int top = 5;
  std::string report_link, timezone;
  // One retry policy for both channels.
  std::string user_agent;
  std::chrono::milliseconds timeout{60000}, connect_timeout{10000};
  int retries = 3;
  std::chrono::milliseconds retry_base_delay{500}, retry_max_delay{30000};
};

class NotifySink final : public ProcessNode {
 public:
  NotifySink(const NotifyOptions& o, const NodeInfo& n)
      : o_(o), id_(n.id), tz_(report::resolve_timezone(o.timezone)) {
    smtp_.url = o.smtp;
    smtp_.user = o.smtp_user;
    smtp_.password = o.smtp_password;
    smtp_.from = o.mail_from;
    smtp_.to = o.mail_to;
    smtp_.starttls = o.starttls;
    smtp_.ca_file = o.ca_file;
    smtp_.timeout = o.timeout;
    smtp_.connect_timeout = o.connect_timeout;
    smtp_.attempts = o.retries + 1;
    smtp_.retry_delay = o.retry_base_delay;
  }

  void process(Record, RunContext&, Emitter&) override {}

  void after_run(RunContext& ctx, const RunSummary& s) override {
    if (o_.when == "failure" && s.status == "ok") return;
    const auto msg = notify::compose(s, report_of(ctx), o_.top, tz_, o_.report_link);
    if (!o_.webhook.empty()) deliver(ctx, "webhook", [&] { send_webhook(ctx, msg); });
    if (!smtp_.url.empty()) deliver(ctx, "e-mail", [&] { send_email(msg); });
  }

 private:
  // The same figures as the report; when the store cannot be read (it may be why the run
  // failed), the message is made from the run summary alone.
  boost::json::object report_of(RunContext& ctx) const {
    const std::string url = ctx.setting("store");
    if (url.empty()) return {};
    try {
      auto st = store::Store::open(url);
      report::ReportOptions o;
      o.run_id = ctx.run_id();
      o.timezone = tz_;
      return report::collect_report(*st, o);
    } catch (const std::exception& e) {
      spdlog::warn("notify '{}': the store could not be read for the message: {}", id_, e.what());
      return {};
    }
  }

  void send_webhook(RunContext& ctx, const notify::Message& msg) const {
    // A notification is never a cassette's business: no record/replay and no URL map.
    http::ClientOptions opts;
    opts.user_agent = o_.user_agent;
    opts.timeout = o_.timeout;
    opts.connect_timeout = o_.connect_timeout;
    opts.retry.max_attempts = o_.retries + 1;
    opts.retry.base_delay = o_.retry_base_delay;
    opts.retry.max_delay = o_.retry_max_delay;
    opts.secrets.push_back(o_.webhook);  // a webhook URL is a credential
    opts.cancelled = [&ctx] { return ctx.stopping(); };
    opts.count = [&ctx](const std::string& name, double d) { ctx.add_counter(name, d); };
    opts.counter_prefix = id_;
    http::Client client(std::move(opts));
    notify::post_webhook(client, o_.webhook, notify::webhook_body(msg, o_.webhook_format));
  }

  void send_email(const notify::Message& msg) const {
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    const std::string id = "<flowrun." + std::to_string(std::time(nullptr)) + "." + std::to_string(getpid()) + "@" + host + ">";
    notify::send_mail(smtp_, notify::mail_text(msg, smtp_.from, smtp_.to, rfc2822_now(), id));
  }

  template <class F>
  void deliver(RunContext& ctx, const char* channel, F&& send) const {
    try {
      send();
      ctx.add_counter("notify.sent", 1);
      spdlog::info("notify '{}': {} sent", id_, channel);
    } catch (const std::exception& e) {
      ctx.add_counter("notify.failed", 1);
      ctx.warn("notify '" + id_ + "': " + channel + " failed: " + redact(e.what()));
    }
  }

  std::string redact(std::string text) const {
    return redact_secrets(std::move(text), {o_.webhook, smtp_.password, smtp_.user});
  }

  NotifyOptions o_;
  std::string id_, tz_;
  notify::SmtpOptions smtp_;
};

// The channels and what each needs: what `flowrun check` adds to the table's own checks.
void check_channels(const NotifyOptions& o, Check& check) {
  if (o.webhook.empty() && o.smtp.empty()) check.error("webhook", "set `webhook:` or `smtp:` (or both)");
  if (o.smtp.empty()) return;
  if (o.smtp.rfind("smtp://", 0) != 0 && o.smtp.rfind("smtps://", 0) != 0)
    check.error("smtp", "must start with smtp:// (STARTTLS) or smtps:// (TLS), got '" + o.smtp + "'");
  if (o.mail_from.empty()) check.error("smtp", "e-mail needs `mail_from:`");
  if (o.mail_to.empty()) check.error("smtp", "e-mail needs `mail_to:`");
}

}  // namespace

void register_notify_nodes(Registry& registry) {
  NodeType<NotifyOptions> t(
      "notify", Role::sink,
      "After the run: sends its headline and top new listings to a chat webhook (Slack, Teams, Discord) "
      "and/or by e-mail (SMTP with STARTTLS); always on a failed run. Failures to send are warnings "
      "and the counter notify.failed, never a failed run.");
  using O = NotifyOptions;
  t.option("when", &O::when, "always: after every run; failure: only when the run did not end ok.")
      .choices({"always", "failure"});
  t.option("webhook", &O::webhook, "Incoming-webhook URL (a credential: use ${env.X}).").secret().alias("webhook_url");
  t.option("webhook_format", &O::webhook_format, "JSON body the webhook expects.").choices({"slack", "teams", "discord"});
  t.option("smtp", &O::smtp, "Mail server: smtp://host:587 (STARTTLS) or smtps://host:465.");
  t.option("smtp_user", &O::smtp_user, "SMTP login (use ${env.X}).").secret();
  t.option("smtp_password", &O::smtp_password, "SMTP password (use ${env.X}); never logged.").secret();
  t.option("mail_from", &O::mail_from, "Sender address.");
  t.option("mail_to", &O::mail_to, "Recipient addresses.");
  t.option("starttls", &O::starttls, "required: refuse to send in clear text; try; off (a local relay).")
      .choices({"required", "try", "off"});
  t.option("ca_file", &O::ca_file, "Extra CA certificates (PEM) to trust for the mail server.").path();
  t.option("top", &O::top, "How many new listings the message lists (highest cap rate first).").range(0, 100);
  t.option("report_link", &O::report_link, "A link to the report, added to the message.");
  t.option("timezone", &O::timezone, "IANA time zone for the message's dates (default: $TZ, else UTC).");
  t.option("user_agent", &O::user_agent, std::string("User-Agent of webhook requests; default \"") + http::kDefaultUserAgent + "\".");
  t.option("timeout", &O::timeout, "Time allowed for one attempt (webhook request or mail session).").at_least(0.001);
  t.option("connect_timeout", &O::connect_timeout, "Time allowed to connect.").at_least(0.001);
  t.option("retries", &O::retries, "Retries after the first attempt (webhook: transport errors, 429 and 5xx; mail: any error but a refused login).")
      .range(0, 10);
  t.option("retry_base_delay", &O::retry_base_delay, "First backoff step; doubles per retry.");
  t.option("retry_max_delay", &O::retry_max_delay, "Cap on one backoff wait.");
  t.validate(check_channels);
  t.validate([](const NotifyOptions& o, Check& check) { report::check_timezone(o.timezone, check); });
  t.blocking_io();
  t.create([](const NotifyOptions& o, const NodeInfo& n) { return std::make_unique<NotifySink>(o, n); });
  registry.add(t.descriptor());
}

}  // namespace flowrun
