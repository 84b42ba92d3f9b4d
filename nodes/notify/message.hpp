// What a notification says: the run's headline and its top new listings, as plain text (e-mail,
// chat), and the JSON bodies chat webhooks accept.
#pragma once
#include <boost/json.hpp>

#include <string>

namespace flowrun {
struct RunSummary;
}

namespace flowrun::notify {

struct Message {
  std::string subject;  // one line: "[flowrun] daily ok: 12 new listings, 3 price changes"
  std::string text;     // the body, lines separated by "\n"
  bool failed = false;  // the run did not end ok
};

// `report` is collect_report()'s object for the run, or an empty object when the store could not
// be read (then only the summary speaks). `top`: how many new listings to list.
Message compose(const RunSummary& s, const boost::json::object& report, int top, const std::string& timezone,
                const std::string& report_link);

// Webhook bodies: slack {"text"}, discord {"content"} (2,000 characters at most), teams (a
// MessageCard with summary and text).
std::string webhook_body(const Message& m, const std::string& format);

// An RFC 5322 message with CRLF line ends (libcurl's SMTP dot-stuffs it).
std::string mail_text(const Message& m, const std::string& from, const std::vector<std::string>& to,
                      const std::string& date_rfc2822, const std::string& message_id);

}  // namespace flowrun::notify
