// Problems found in a pipeline, each pinned to file:line:column when we know it.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace flowrun {

struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
  std::string str() const;  // "file:line:column" (parts omitted when unknown)
};

// A note never fails anything, not even `check --strict` (e.g. a secret that only `run` needs).
enum class Severity { error, warning, note };

struct Diagnostic {
  Severity severity = Severity::error;
  Location where;
  std::string message;
  std::string str() const;  // "file:line:col: error: message"
};

class Diagnostics {
 public:
  void error(Location at, std::string message);
  void warning(Location at, std::string message);
  void note(Location at, std::string message);
  bool has_errors() const;
  std::size_t error_count() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  void merge(const Diagnostics& other);

 private:
  std::vector<Diagnostic> items_;
};

// Thrown when a pipeline cannot be loaded or run; carries every diagnostic found.
class PipelineError : public std::runtime_error {
 public:
  explicit PipelineError(Diagnostics d);
  const Diagnostics& diagnostics() const { return diags_; }

 private:
  Diagnostics diags_;
};

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);
// The closest candidate within a small distance, or "" when none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace flowrun
