// How long the report takes for a store of N properties seen daily for D days: collecting from
// SQLite, then rendering HTML (and JSON, CSV). Prints each figure and, as the ratio that matters,
// the time for N against the one-second budget and against a store a fifth the size.
//   flowrun-bench-report [--properties 5000] [--days 30] [--repeat 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "nodes/report/report.hpp"
#include "nodes/store/store.hpp"
#include "tools/fixtures/report/report_store.hpp"

using namespace flowrun;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Figures {
  double collect_ms, html_ms, json_ms, csv_ms;
  std::size_t html_bytes;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Figures measure(int properties, int days, int repeat) {
  const auto dir = fs::temp_directory_path() / ("flowrun-bench-report-" + std::to_string(properties));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string url = "sqlite:" + (dir / "bench.db").string();
  auto st = store::Store::open(url);
  fixtures::GeneratedStore g;
  g.properties = properties, g.days = days;
  fixtures::generate_report_store(*st, g);
  report::ReportOptions opts;
  opts.timezone = "America/Phoenix";
  std::vector<double> collect, html, json, csv;
  std::size_t bytes = 0;
  for (int i = 0; i < repeat; ++i) {
    auto t = Clock::now();
    const auto rep = report::collect_report(*st, opts);
    collect.push_back(ms_since(t));
    t = Clock::now();
    bytes = report::render_html(rep, "").size();
    html.push_back(ms_since(t));
    t = Clock::now();
    report::render_json(rep);
    json.push_back(ms_since(t));
    t = Clock::now();
    report::render_csv(rep);
    csv.push_back(ms_since(t));
  }
  fs::remove_all(dir);
  return {median(collect), median(html), median(json), median(csv), bytes};
}

}  // namespace

int main(int argc, char** argv) {
  int properties = 5000, days = 30, repeat = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--properties")) properties = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--days")) days = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::max(1, std::atoi(argv[i + 1]));
  }
  const auto small = measure(std::max(1, properties / 5), days, repeat);
  const auto big = measure(properties, days, repeat);
  const double small_total = small.collect_ms + small.html_ms, big_total = big.collect_ms + big.html_ms;
  std::printf("store: %d properties seen daily for %d days (medians of %d)\n", properties, days, repeat);
  std::printf("collect from SQLite: %.1f ms; render HTML: %.1f ms (%zu bytes); JSON: %.1f ms; CSV: %.1f ms\n",
              big.collect_ms, big.html_ms, big.html_bytes, big.json_ms, big.csv_ms);
  std::printf("HTML report, collect + render: %.1f ms = %.2f of the 1 s budget\n", big_total, big_total / 1000);
  std::printf("%d vs %d properties: %.1f ms vs %.1f ms, ratio %.2f (5.00 = linear)\n", properties,
              std::max(1, properties / 5), big_total, small_total, big_total / std::max(0.001, small_total));
  return 0;
}
