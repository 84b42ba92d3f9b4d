// What the report collectors read from the store, once, before any section is built.
#pragma once
#include <boost/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nodes/report/report.hpp"

namespace flowrun::report::detail {

struct RunRow {
  std::string run_id, pipeline, started_at, finished_at, status;
  double duration_ms = 0;
  boost::json::object summary;  // RunSummary::to_json() as the ledger stored it ({} while running)
  std::string end() const { return finished_at.empty() ? "9999" : finished_at; }  // open window
};

struct PricePoint {
  std::string at, run_id;
  std::optional<double> price;
};

struct Property {
  std::string id, source, zip, first_seen, last_seen, last_changed, last_run_id;
  std::optional<double> price, assessed_value, full_cash_value;
  std::vector<PricePoint> history;  // oldest first
  const boost::json::object* body = nullptr;  // parsed on demand (bodies below)
  // Price as of time `t` (ts19 text): the last history row at or before it, else the price now.
  std::optional<double> price_at(const std::string& t) const;
  // For sale: not a county parcel (an APN without a list price or an MLS number).
  bool is_listing() const;
};

// A price that moved between two sightings.
struct PriceChange {
  const Property* property = nullptr;
  std::string at, run_id;
  double from = 0, to = 0;
};

struct Period {
  std::string start, end;  // ts19 text, inclusive
  std::vector<const RunRow*> runs;  // oldest first
  const RunRow* latest = nullptr;
  bool contains(const std::string& t) const;
};

struct StoreData {
  std::vector<RunRow> runs;  // oldest first
  std::vector<Property> properties;
  std::map<std::string, boost::json::object> bodies;  // id -> parsed body (seen in the period or listings)
  std::vector<PriceChange> price_changes;  // every change in the store, oldest first
};

StoreData load(store::Store& st, const ReportOptions& opts);
Period period_of(const StoreData& data, const ReportOptions& opts);

// The sections (report_sections.cpp, report_market.cpp).
boost::json::object run_section(const Period& p, const ReportOptions& opts);
boost::json::object headline_section(const StoreData& d, const Period& p);
boost::json::array listings_section(const StoreData& d, const Period& p);
boost::json::object market_section(const StoreData& d, const Period& p, const ReportOptions& opts);
boost::json::object quality_section(store::Store& st, const StoreData& d, const Period& p);
boost::json::array runs_section(const StoreData& d, const Period& p);

// Helpers shared by the sections.
double summary_counter(const boost::json::object& summary, const char* name);
std::optional<double> median_of(std::vector<double> v);
std::optional<double> pct_change(std::optional<double> from, std::optional<double> to);

}  // namespace flowrun::report::detail
