// Live progress for `flowrun run`: on a terminal, one line per node redrawn a few times a second;
// otherwise a log line every `log_every`.
#pragma once
#include <chrono>
#include <map>
#include <string>

#include "engine/metrics.hpp"

namespace flowrun::cli {

class Progress {
 public:
  Progress(bool tty, std::chrono::seconds log_every) : tty_(tty), log_every_(log_every) {}
  void update(const RunSummary& s);
  void finish();  // clears the live lines before the final table

 private:
  bool tty_;
  std::chrono::seconds log_every_;
  int lines_drawn_ = 0;
  double last_log_ms_ = 0;
  std::map<std::string, std::pair<double, std::int64_t>> last_;  // node -> (ms, out) for rates
};

}  // namespace flowrun::cli
