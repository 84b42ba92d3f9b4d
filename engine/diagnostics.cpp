#include "engine/diagnostics.hpp"

#include <algorithm>
#include <numeric>

namespace flowrun {

std::string Location::str() const {
  std::string s = file.empty() ? "<pipeline>" : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

std::string Diagnostic::str() const {
  const char* kind = severity == Severity::error ? "error: " : severity == Severity::warning ? "warning: " : "note: ";
  return where.str() + ": " + kind + message;
}

void Diagnostics::error(Location at, std::string message) {
  items_.push_back({Severity::error, std::move(at), std::move(message)});
}
void Diagnostics::warning(Location at, std::string message) {
  items_.push_back({Severity::warning, std::move(at), std::move(message)});
}
void Diagnostics::note(Location at, std::string message) {
  items_.push_back({Severity::note, std::move(at), std::move(message)});
}
bool Diagnostics::has_errors() const { return error_count() > 0; }
std::size_t Diagnostics::error_count() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}
void Diagnostics::merge(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

static std::string join_errors(const Diagnostics& d) {
  std::string s;
  for (const auto& i : d.all()) {
    if (!s.empty()) s += "\n";
    s += i.str();
  }
  return s;
}

PipelineError::PipelineError(Diagnostics d) : std::runtime_error(join_errors(d)), diags_(std::move(d)) {}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

}  // namespace flowrun
