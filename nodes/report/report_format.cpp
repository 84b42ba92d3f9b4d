#include "nodes/report/report_format.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "engine/options.hpp"

namespace flowrun::report {

namespace {

std::string group_thousands(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  const int len = static_cast<int>(digits.size());
  for (int i = 0; i < len; ++i) {
    if (i && (len - i) % 3 == 0) out += ',';
    out += digits[static_cast<std::size_t>(i)];
  }
  return out;
}

const date::time_zone* zone(const std::string& tz) {
  return tz.empty() || tz == "UTC" ? nullptr : date::locate_zone(tz);
}

// `Dec 2, 2026` and `5:18 PM` from a local time.
std::string month_day_year(date::local_seconds t) {
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  return std::string(months[static_cast<unsigned>(ymd.month()) - 1]) + " " +
         std::to_string(static_cast<unsigned>(ymd.day())) + ", " + std::to_string(static_cast<int>(ymd.year()));
}

std::string clock(date::local_seconds t) {
  const auto day = date::floor<date::days>(t);
  const date::hh_mm_ss hms{t - day};
  const int h = static_cast<int>(hms.hours().count());
  char buf[16];
  std::snprintf(buf, sizeof buf, "%d:%02d %s", h % 12 == 0 ? 12 : h % 12, static_cast<int>(hms.minutes().count()),
                h < 12 ? "AM" : "PM");
  return buf;
}

struct Local {
  date::local_seconds time;
  std::string abbrev;
};

std::optional<Local> to_local(const std::string& iso, const std::string& tz) {
  auto t = parse_utc(iso);
  if (!t) return std::nullopt;
  if (const auto* z = zone(tz)) {
    const auto info = z->get_info(*t);
    return Local{date::local_seconds{t->time_since_epoch() + info.offset}, info.abbrev};
  }
  return Local{date::local_seconds{t->time_since_epoch()}, "UTC"};
}

}  // namespace

std::string money(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return "";
  const long long n = std::llround(*v);
  return std::string(n < 0 ? "-" : "") + "$" + group_thousands(n);
}

std::string percent(std::optional<double> pct, bool signed_) {
  if (!pct || !std::isfinite(*pct)) return "";
  char buf[32];
  // Half away from zero, as people round (printf rounds 6.25 to the even 6.2).
  std::snprintf(buf, sizeof buf, signed_ ? "%+.1f%%" : "%.1f%%", std::round(*pct * 10) / 10);
  std::string s = buf;
  return s == "+0.0%" || s == "-0.0%" ? "0.0%" : s;
}

std::string count(double v) {
  const long long n = std::llround(v);
  return (n < 0 ? "-" : "") + group_thousands(n);
}

std::string decimal(std::optional<double> v, int digits) {
  if (!v || !std::isfinite(*v)) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, *v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {  // 2.50 -> 2.5, 3.0 -> 3
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string duration(double ms) {
  char buf[48];
  if (ms < 1000) std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  else if (ms < 60000) std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000);
  else std::snprintf(buf, sizeof buf, "%d min %d s", static_cast<int>(ms / 60000), static_cast<int>(std::fmod(ms, 60000) / 1000));
  return buf;
}

std::optional<std::chrono::sys_seconds> parse_utc(const std::string& iso) {
  int Y, M, D, h, m, s;
  if (iso.size() < 19 || std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &Y, &M, &D, &h, &m, &s) != 6)
    return std::nullopt;
  const date::year_month_day ymd{date::year{Y}, date::month{static_cast<unsigned>(M)}, date::day{static_cast<unsigned>(D)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{m} + std::chrono::seconds{s};
}

std::string resolve_timezone(const std::string& name) {
  std::string tz = name;
  if (tz.empty())
    if (const char* env = std::getenv("TZ"); env && *env) tz = env[0] == ':' ? env + 1 : env;
  if (tz.empty() || tz == "UTC" || tz == "Etc/UTC") return "UTC";
  try {
    date::locate_zone(tz);
  } catch (const std::exception&) {
    throw std::invalid_argument("unknown time zone '" + tz + "' (use an IANA name such as America/Phoenix)");
  }
  return tz;
}

void check_timezone(const std::string& name, Check& check) {
  if (name.empty()) return;  // $TZ or UTC, read when the node starts
  try {
    resolve_timezone(name);
  } catch (const std::invalid_argument& e) {
    check.error("timezone", e.what());
  }
}

std::string local_time(const std::string& iso, const std::string& tz) {
  auto l = to_local(iso, tz);
  return l ? month_day_year(l->time) + ", " + clock(l->time) + " " + l->abbrev : iso;
}

std::string local_date(const std::string& iso, const std::string& tz) {
  auto l = to_local(iso, tz);
  return l ? month_day_year(l->time) : iso;
}

std::string local_day(const std::string& iso, const std::string& tz) {
  auto l = to_local(iso, tz);
  return l ? date::format("%F", date::floor<date::days>(l->time)) : iso.substr(0, 10);
}

std::string short_day(const std::string& day) {
  const std::string full = local_date(day + "T12:00:00Z", "UTC");
  return full.substr(0, full.find(','));
}

}  // namespace flowrun::report
