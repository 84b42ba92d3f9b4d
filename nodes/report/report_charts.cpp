#include "nodes/report/report_charts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "nodes/report/report_html.hpp"

namespace flowrun::report {

namespace {

constexpr double kW = 520, kPlotH = 220, kLeft = 80, kRight = 12, kTop = 16, kAxisH = 50, kLegendRow = 20;
constexpr std::size_t kLegendPerRow = 3;
const char* kColors[] = {"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d"};

std::string n(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A step of 1, 2 or 5 times a power of ten that gives about five ticks up to `max`.
double nice_step(double max) {
  if (max <= 0) return 1;
  const double raw = max / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

struct Frame {
  double max = 1, step = 1;
  std::size_t legend_rows = 1;
  double plot_w() const { return kW - kLeft - kRight; }
  double plot_h() const { return kPlotH; }
  double height() const { return kTop + kPlotH + kAxisH + kLegendRow * static_cast<double>(legend_rows) + 6; }
  double y(double v) const { return kTop + plot_h() * (1 - v / max); }
};

Frame frame_of(const Chart& c) {
  double max = 0;
  for (const auto& s : c.series)
    for (const auto& v : s.values)
      if (v) max = std::max(max, *v);
  Frame f;
  f.step = nice_step(max);
  f.max = std::max(f.step, std::ceil(max / f.step) * f.step);
  f.legend_rows = std::max<std::size_t>(1, (c.series.size() + kLegendPerRow - 1) / kLegendPerRow);
  return f;
}

std::string open_svg(const Chart& c, const Frame& f) {
  return "<figure class=\"chart\" id=\"" + esc(c.id) + "\"><figcaption>" + esc(c.title) +
         "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + n(kW) + " " + n(f.height()) +
         "\" role=\"img\" aria-label=\"" + esc(c.title) + "\"><title>" + esc(c.title) + "</title>";
}

std::string y_axis(const Chart& c, const Frame& f) {
  std::string s = "<g class=\"axis axis-y\"><line x1=\"" + n(kLeft) + "\" y1=\"" + n(kTop) + "\" x2=\"" + n(kLeft) +
                  "\" y2=\"" + n(kTop + f.plot_h()) + "\" stroke=\"#333\"/>";
  for (double v = 0; v <= f.max + f.step / 2; v += f.step) {
    const double y = f.y(v);
    s += "<line class=\"grid\" x1=\"" + n(kLeft) + "\" y1=\"" + n(y) + "\" x2=\"" + n(kW - kRight) + "\" y2=\"" + n(y) +
         "\" stroke=\"#e3e3e3\"/><text class=\"tick\" x=\"" + n(kLeft - 6) + "\" y=\"" + n(y + 4) +
         "\" text-anchor=\"end\" font-size=\"13\">" + esc(c.tick ? c.tick(v) : n(v)) + "</text>";
  }
  return s + "<text class=\"axis-title\" transform=\"translate(16," + n(kTop + f.plot_h() / 2) +
         ") rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">" + esc(c.y_title) + "</text></g>";
}

// Category labels; with many categories only every k-th is written so they never overlap.
std::string x_axis(const Chart& c, const Frame& f, const std::function<double(std::size_t)>& x_of) {
  const double base = kTop + f.plot_h();
  std::string s = "<g class=\"axis axis-x\"><line x1=\"" + n(kLeft) + "\" y1=\"" + n(base) + "\" x2=\"" +
                  n(kW - kRight) + "\" y2=\"" + n(base) + "\" stroke=\"#333\"/>";
  const std::size_t every = std::max<std::size_t>(1, (c.categories.size() + 5) / 6);
  for (std::size_t i = 0; i < c.categories.size(); ++i) {
    if (i % every) continue;
    s += "<text class=\"tick\" x=\"" + n(x_of(i)) + "\" y=\"" + n(base + 16) + "\" text-anchor=\"middle\" font-size=\"13\">" +
         esc(c.categories[i]) + "</text>";
  }
  return s + "<text class=\"axis-title\" x=\"" + n(kLeft + f.plot_w() / 2) + "\" y=\"" + n(base + 40) +
         "\" text-anchor=\"middle\" font-size=\"14\">" + esc(c.x_title) + "</text></g>";
}

// Legend items in rows of four under the x axis title.
std::string legend(const Chart& c) {
  std::string s = "<g class=\"legend\">";
  const double item_w = (kW - kLeft - kRight) / kLegendPerRow;
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const double x = kLeft + item_w * static_cast<double>(i % kLegendPerRow);
    const double y = kTop + kPlotH + kAxisH + 10 + kLegendRow * static_cast<double>(i / kLegendPerRow);
    s += "<g class=\"legend-item\"><rect x=\"" + n(x) + "\" y=\"" + n(y - 9) + "\" width=\"12\" height=\"12\" fill=\"" +
         kColors[i % 8] + "\"/><text x=\"" + n(x + 16) + "\" y=\"" + n(y + 1) + "\" font-size=\"14\">" +
         esc(c.series[i].name) + "</text></g>";
  }
  return s + "</g>";
}

std::string value_text(const Chart& c, double v) { return c.tick ? c.tick(v) : n(v); }

}  // namespace

std::string short_money(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e6) std::snprintf(buf, sizeof buf, "$%.3gM", v / 1e6);
  else if (a >= 1e3) std::snprintf(buf, sizeof buf, "$%.3gk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "$%.0f", v);
  return buf;
}

std::string bar_chart(const Chart& c) {
  const Frame f = frame_of(c);
  const double group_w = f.plot_w() / static_cast<double>(std::max<std::size_t>(1, c.categories.size()));
  const double bar_w = group_w * 0.8 / static_cast<double>(std::max<std::size_t>(1, c.series.size()));
  auto x_of = [&](std::size_t i) { return kLeft + group_w * (static_cast<double>(i) + 0.5); };
  std::string s = open_svg(c, f) + y_axis(c, f) + x_axis(c, f, x_of) + "<g class=\"bars\">";
  for (std::size_t i = 0; i < c.categories.size(); ++i)
    for (std::size_t k = 0; k < c.series.size(); ++k) {
      const auto& v = i < c.series[k].values.size() ? c.series[k].values[i] : std::nullopt;
      if (!v) continue;
      const double x = kLeft + group_w * static_cast<double>(i) + group_w * 0.1 + bar_w * static_cast<double>(k);
      s += "<rect class=\"bar\" data-series=\"" + esc(c.series[k].name) + "\" data-category=\"" + esc(c.categories[i]) +
           "\" x=\"" + n(x) + "\" y=\"" + n(f.y(*v)) + "\" width=\"" + n(bar_w) + "\" height=\"" +
           n(f.y(0) - f.y(*v)) + "\" fill=\"" + kColors[k % 8] + "\"><title>" + esc(c.series[k].name) + ", " +
           esc(c.categories[i]) + ": " + esc(value_text(c, *v)) + "</title></rect>";
    }
  return s + "</g>" + legend(c) + "</svg></figure>";
}

std::string line_chart(const Chart& c) {
  const Frame f = frame_of(c);
  const double count = static_cast<double>(std::max<std::size_t>(1, c.categories.size()));
  auto x_of = [&](std::size_t i) { return kLeft + f.plot_w() * (static_cast<double>(i) + 0.5) / count; };
  std::string s = open_svg(c, f) + y_axis(c, f) + x_axis(c, f, x_of) + "<g class=\"lines\">";
  for (std::size_t k = 0; k < c.series.size(); ++k) {
    std::string points, dots;
    for (std::size_t i = 0; i < c.series[k].values.size() && i < c.categories.size(); ++i) {
      const auto& v = c.series[k].values[i];
      if (!v) continue;
      points += (points.empty() ? "" : " ") + n(x_of(i)) + "," + n(f.y(*v));
      dots += "<circle class=\"point\" cx=\"" + n(x_of(i)) + "\" cy=\"" + n(f.y(*v)) + "\" r=\"3\" fill=\"" +
              kColors[k % 8] + "\"><title>" + esc(c.series[k].name) + ", " + esc(c.categories[i]) + ": " +
              esc(value_text(c, *v)) + "</title></circle>";
    }
    s += "<g class=\"series\" data-series=\"" + esc(c.series[k].name) + "\"><polyline fill=\"none\" stroke=\"" +
         kColors[k % 8] + "\" stroke-width=\"2\" points=\"" + points + "\"/>" + dots + "</g>";
  }
  return s + "</g>" + legend(c) + "</svg></figure>";
}

}  // namespace flowrun::report
