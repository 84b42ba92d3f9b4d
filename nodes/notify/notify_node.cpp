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
#include "engine/registry.hpp"
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

class NotifySink final : public ProcessNode {
 public:
  explicit NotifySink(const NodeConfig& cfg)
      : cfg_(cfg),
        id_(cfg.id()),
        when_(cfg.get_string("when", "always")),
        webhook_(cfg.get_string("webhook")),
        format_(cfg.get_string("webhook_format", "slack")),
        top_(static_cast<int>(cfg.get_int("top", 5))),
        link_(cfg.get_string("report_link")),
        tz_(report::resolve_timezone(cfg.get_string("timezone"))) {
    smtp_.url = cfg.get_string("smtp");
    smtp_.user = cfg.get_string("smtp_user");
    smtp_.password = cfg.get_string("smtp_password");
    smtp_.from = cfg.get_string("mail_from");
    smtp_.to = cfg.get_list("mail_to");
    smtp_.starttls = cfg.get_string("starttls", "required");
    smtp_.ca_file = cfg.get_path("ca_file");
    smtp_.timeout = cfg.get_duration("timeout", smtp_.timeout);
    smtp_.connect_timeout = cfg.get_duration("connect_timeout", smtp_.connect_timeout);
    smtp_.attempts = static_cast<int>(cfg.get_int("retries", 3)) + 1;
    smtp_.retry_delay = cfg.get_duration("retry_base_delay", std::chrono::milliseconds(500));
    if (webhook_.empty() && smtp_.url.empty())
      throw std::invalid_argument("node '" + id_ + "': set `webhook:` or `smtp:` (or both)");
    if (!smtp_.url.empty() && (smtp_.from.empty() || smtp_.to.empty()))
      throw std::invalid_argument("node '" + id_ + "': e-mail needs `mail_from:` and `mail_to:`");
  }

  void process(Record, RunContext&, Emitter&) override {}

  void after_run(RunContext& ctx, const RunSummary& s) override {
    if (when_ == "failure" && s.status == "ok") return;
    const auto msg = notify::compose(s, report_of(ctx), top_, tz_, link_);
    if (!webhook_.empty()) deliver(ctx, "webhook", [&] { send_webhook(ctx, msg); });
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
    auto opts = http::client_options_from(cfg_, ctx);
    opts.secrets.push_back(webhook_);  // a webhook URL is a credential
    opts.record_dir.clear(), opts.replay_dir.clear();  // a notification is never a cassette's business
    http::Client client(std::move(opts));
    notify::post_webhook(client, webhook_, notify::webhook_body(msg, format_));
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
    for (const auto* secret : {&webhook_, &smtp_.password, &smtp_.user})
      if (!secret->empty())
        for (std::size_t p; (p = text.find(*secret)) != std::string::npos;) text.replace(p, secret->size(), "***");
    return text;
  }

  NodeConfig cfg_;
  std::string id_, when_, webhook_, format_;
  int top_;
  std::string link_, tz_;
  notify::SmtpOptions smtp_;
};

}  // namespace

void register_notify_nodes(Registry& registry) {
  NodeDescriptor d;
  d.type = "notify";
  d.role = Role::sink;
  d.description =
      "After the run: sends its headline and top new listings to a chat webhook (Slack, Teams, Discord) "
      "and/or by e-mail (SMTP with STARTTLS); always on a failed run. Failures to send are warnings "
      "and the counter notify.failed, never a failed run.";
  d.options = {
      {"when", OptionType::string, "always", "always: after every run; failure: only when the run did not end ok.",
       false, {"always", "failure"}},
      {"webhook", OptionType::secret, "", "Incoming-webhook URL (a credential: use ${env.X}).", false, {}},
      {"webhook_format", OptionType::string, "slack", "JSON body the webhook expects.", false, {"slack", "teams", "discord"}},
      {"smtp", OptionType::string, "", "Mail server: smtp://host:587 (STARTTLS) or smtps://host:465.", false, {}},
      {"smtp_user", OptionType::secret, "", "SMTP login (use ${env.X}).", false, {}},
      {"smtp_password", OptionType::secret, "", "SMTP password (use ${env.X}); never logged.", false, {}},
      {"mail_from", OptionType::string, "", "Sender address.", false, {}},
      {"mail_to", OptionType::string_list, "", "Recipient addresses.", false, {}},
      {"starttls", OptionType::string, "required", "required: refuse to send in clear text; try; off (a local relay).",
       false, {"required", "try", "off"}},
      {"ca_file", OptionType::path, "", "Extra CA certificates (PEM) to trust for the mail server.", false, {}},
      {"top", OptionType::integer, "5", "How many new listings the message lists (highest cap rate first).", false, {}},
      {"report_link", OptionType::string, "", "A link to the report, added to the message.", false, {}},
      {"timezone", OptionType::string, "", "IANA time zone for the message's dates (default: $TZ, else UTC).", false, {}},
  };
  for (auto& o : http::client_option_specs()) d.options.push_back(std::move(o));
  d.blocking_io = true;
  d.factory = [](const NodeConfig& c) { return std::make_unique<NotifySink>(c); };
  registry.add(std::move(d));
}

}  // namespace flowrun
