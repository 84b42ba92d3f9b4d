// How the report writes figures for people: money as `$1,234,567`, percentages with one decimal,
// dates in the reader's time zone with the zone named. Shared by the HTML report and the
// notifications, so a figure reads the same in the e-mail as in the report.
#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace flowrun {
class Check;
}

namespace flowrun::report {

// `$1,234,567` (rounded to the dollar); `-$12,500` for a negative amount; "" for nullopt.
std::string money(std::optional<double> v);
// `12.3%` from a percentage value (12.345 -> "12.3%"); signed adds `+` for positives.
std::string percent(std::optional<double> pct, bool signed_ = false);
// `1,234` (integers with thousands separators); decimals kept to `digits` places.
std::string count(double v);
std::string decimal(std::optional<double> v, int digits);
// A duration for people: `758 ms`, `4.2 s`, `3 min 12 s`.
std::string duration(double ms);

// Parses `2026-12-02T00:18:40Z` or `...40.123Z` (UTC). nullopt when it is not such a time.
std::optional<std::chrono::sys_seconds> parse_utc(const std::string& iso);
// The time zone the report is read in: `name` (IANA, e.g. America/Phoenix) or, when empty, the
// TZ environment variable, else UTC. Throws std::invalid_argument for an unknown name.
std::string resolve_timezone(const std::string& name);
// For a node's `validate` hook: a given `timezone` option that names no zone is a `check` error.
void check_timezone(const std::string& name, Check& check);
// `Dec 2, 2026, 5:18 PM MST` in `tz` (an IANA name or "UTC"); the input as given when unparsable.
std::string local_time(const std::string& iso, const std::string& tz);
// `Dec 2, 2026` in `tz`.
std::string local_date(const std::string& iso, const std::string& tz);
// `2026-12-02`: the calendar day of `iso` in `tz` (for grouping by day).
std::string local_day(const std::string& iso, const std::string& tz);

// `Dec 2` from `2026-12-02` (chart labels).
std::string short_day(const std::string& day);

// The first 19 characters of an ISO time (`2026-12-02T00:18:40`): timestamps written with and
// without milliseconds compare correctly as text once cut to this.
inline std::string ts19(const std::string& iso) { return iso.substr(0, 19); }

}  // namespace flowrun::report
