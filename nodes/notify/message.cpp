#include "nodes/notify/message.hpp"

#include <openssl/evp.h>

#include "engine/json_text.hpp"
#include "engine/metrics.hpp"
#include "nodes/report/report_format.hpp"

namespace flowrun::notify {

namespace json = boost::json;

namespace {

const json::value& at(const json::value& o, const char* k) {
  static const json::value none;
  if (!o.is_object()) return none;
  auto* v = o.get_object().if_contains(k);
  return v ? *v : none;
}
double num(const json::value& v) { return v.is_number() ? v.to_number<double>() : 0; }
std::optional<double> opt(const json::value& v) { return v.is_number() ? std::optional<double>(v.to_number<double>()) : std::nullopt; }
std::string str(const json::value& v) { return v.is_string() ? std::string(v.get_string()) : ""; }

std::string listing_line(const json::value& r) {
  std::string line = "• " + str(at(r, "address"));
  if (auto zip = str(at(r, "zip")); !zip.empty()) line += " " + zip;
  line += ": " + report::money(opt(at(r, "price")));
  if (auto cap = opt(at(r, "cap_rate"))) line += ", cap rate " + report::percent(cap);
  if (auto rent = opt(at(r, "rental_estimate"))) line += ", rent " + report::money(rent) + "/mo";
  if (auto rec = str(at(r, "recommendation")); !rec.empty()) line += ", LLM says " + rec;
  if (auto url = str(at(r, "url")); !url.empty()) line += "\n  " + url;
  return line;
}

}  // namespace

Message compose(const RunSummary& s, const json::object& rep, int top, const std::string& tz,
                const std::string& report_link) {
  Message m;
  m.failed = s.status != "ok";
  const json::value repv = rep;
  const auto& h = at(repv, "headline");
  const std::string when = report::local_time(s.started_at, tz);
  if (m.failed) {
    m.subject = "[flowrun] " + s.pipeline + " " + s.status + (s.failure.empty() ? "" : ": " + s.failure);
  } else if (h.is_object()) {
    m.subject = "[flowrun] " + s.pipeline + " ok: " + report::count(num(at(h, "new_listings"))) + " new listings, " +
                report::count(num(at(h, "price_changes"))) + " price changes";
  } else {
    m.subject = "[flowrun] " + s.pipeline + " ok";
  }
  std::string t = "Run " + s.run_id + " of " + s.pipeline + ": " + s.status + ", started " + when + ", took " +
                  report::duration(s.duration_ms) + ".\n";
  if (!s.failure.empty()) t += "Why: " + s.failure + "\n";
  if (h.is_object()) {
    t += report::count(num(at(h, "new"))) + " new (" + report::count(num(at(h, "new_listings"))) + " listings, " +
         report::count(num(at(h, "new_parcels"))) + " county parcels), " + report::count(num(at(h, "changed"))) +
         " changed (" + report::count(num(at(h, "price_changes"))) + " price changes), " +
         report::count(num(at(h, "unchanged"))) + " unchanged, " + report::count(num(at(h, "dead_letters"))) +
         " rejected.\n";
  } else {
    t += report::count(static_cast<double>(s.source_records)) + " records from sources, " +
         report::count(static_cast<double>(s.dead_letters)) + " rejected (the store could not be read for more).\n";
  }
  for (const auto& w : s.warnings) t += "Warning: " + w + "\n";
  int listed = 0;
  if (const auto& rows = at(repv, "listings"); rows.is_array())
    for (const auto& r : rows.get_array()) {
      if (listed >= top) break;
      if (str(at(r, "kind")) != "new") continue;
      if (listed++ == 0) t += "\nTop new listings:\n";
      t += listing_line(r) + "\n";
    }
  if (!report_link.empty()) t += "\nReport: " + report_link + "\n";
  m.text = std::move(t);
  return m;
}

std::string webhook_body(const Message& m, const std::string& format) {
  if (format == "discord") {
    std::string content = m.subject + "\n" + m.text;
    if (content.size() > 2000) content = content.substr(0, 1990) + "\n…";
    return to_json_text(json::object{{"content", content}});
  }
  if (format == "teams")
    return to_json_text(json::object{{"@type", "MessageCard"},
                                     {"@context", "https://schema.org/extensions"},
                                     {"summary", m.subject},
                                     {"themeColor", m.failed ? "CF222E" : "1A7F37"},
                                     {"title", m.subject},
                                     {"text", m.text}});
  return to_json_text(json::object{{"text", "*" + m.subject + "*\n" + m.text}});
}

// A header value on one line (no header injection through a failure reason), RFC 2047-encoded
// when it is not plain ASCII.
static std::string header_value(const std::string& v) {
  std::string line;
  bool ascii = true;
  for (char c : v) {
    if (c == '\r' || c == '\n') c = ' ';
    ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    line += c;
  }
  if (ascii) return line;
  std::string b64(4 * ((line.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(line.data()), static_cast<int>(line.size()));
  b64.resize(static_cast<std::size_t>(n));
  return "=?UTF-8?B?" + b64 + "?=";
}

std::string mail_text(const Message& m, const std::string& from, const std::vector<std::string>& to,
                      const std::string& date, const std::string& message_id) {
  std::string to_line;
  for (const auto& r : to) to_line += (to_line.empty() ? "" : ", ") + r;
  std::string out = "Date: " + date + "\r\nFrom: " + from + "\r\nTo: " + to_line + "\r\nSubject: " + header_value(m.subject) +
                    "\r\nMessage-ID: " + message_id +
                    "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  for (char c : m.text) {
    if (c == '\n') out += "\r\n";
    else out += c;
  }
  return out;
}

}  // namespace flowrun::notify
