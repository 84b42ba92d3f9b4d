// Inline SVG charts for the HTML report: axes with ticks, units and titles, and a legend. No
// script and no external file, so the report works offline and in an e-mail client.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace flowrun::report {

struct ChartSeries {
  std::string name;
  std::vector<std::optional<double>> values;  // one per category; nullopt = no data
};

struct Chart {
  std::string id, title, x_title, y_title;  // y_title names the unit: "median price (USD)"
  std::vector<std::string> categories;      // x axis labels
  std::vector<ChartSeries> series;
  std::function<std::string(double)> tick;  // y tick label ("$250k"); default: the number
};

std::string bar_chart(const Chart& c);   // grouped bars, one group per category
std::string line_chart(const Chart& c);  // one line (with points) per series

// Short money for axis ticks: $0, $950, $250k, $1.2M.
std::string short_money(double v);

}  // namespace flowrun::report
