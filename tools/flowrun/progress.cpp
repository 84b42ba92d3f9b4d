#include "tools/flowrun/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace flowrun::cli {

void Progress::update(const RunSummary& s) {
  std::vector<std::string> lines;
  for (const auto& n : s.nodes) {
    auto& [t, out] = last_[n.id];
    const std::int64_t count = n.role == "source" ? n.out : n.in;
    const double rate = s.duration_ms > t ? (count - out) * 1000.0 / (s.duration_ms - t) : 0;
    t = s.duration_ms;
    out = count;
    lines.push_back(fmt::format("{:<18} {:>9} rec {:>9.0f}/s  err {:<6} queue {}/{}", n.id.substr(0, 18), count, rate,
                                n.errors, n.queued, n.buffer));
  }
  if (tty_) {
    std::string frame;
    if (lines_drawn_ > 0) frame += fmt::format("\033[{}A", lines_drawn_);
    for (const auto& l : lines) frame += "\r\033[K" + l + "\n";
    std::fputs(frame.c_str(), stderr);
    lines_drawn_ = static_cast<int>(lines.size());
    return;
  }
  if (s.duration_ms - last_log_ms_ < log_every_.count() * 1000.0) return;
  last_log_ms_ = s.duration_ms;
  std::string all;
  for (const auto& n : s.nodes)
    all += fmt::format("{}{}={} err={} q={}", all.empty() ? "" : ", ", n.id, n.role == "source" ? n.out : n.in, n.errors, n.queued);
  spdlog::info("progress {:.0f}s: {}", s.duration_ms / 1000, all);
}

void Progress::finish() {
  if (!tty_ || lines_drawn_ == 0) return;
  std::fputs(fmt::format("\033[{}A\033[J", lines_drawn_).c_str(), stderr);
  lines_drawn_ = 0;
}

}  // namespace flowrun::cli
