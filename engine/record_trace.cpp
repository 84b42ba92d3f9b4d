#include "engine/record_trace.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "engine/json_text.hpp"
#include "engine/record.hpp"

namespace flowrun {

namespace {
// The file's folder is made, as for the other outputs a run writes.
const std::string& with_folder(const std::string& path) {
  std::error_code ec;
  if (auto parent = std::filesystem::path(path).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  return path;
}
}  // namespace

RecordTrace::RecordTrace(const std::string& path)
    : out_(with_folder(path), std::ios::trunc), path_(path), t0_us_(now_us()) {
  if (!out_) throw std::runtime_error("cannot write trace file '" + path + "': " + std::strerror(errno));
}

RecordTrace::~RecordTrace() = default;

void RecordTrace::event(std::string_view trace_id, std::string_view node, std::string_view port,
                        std::string_view outcome, std::int64_t start_us, std::int64_t us, int attempt) {
  // Built outside the lock; numbers through json_text so they read as people write them.
  boost::json::object o{{"trace", trace_id},
                        {"node", node},
                        {"port", port},
                        {"outcome", outcome},
                        {"at_ms", static_cast<double>((start_us ? start_us : now_us()) - t0_us_) / 1000.0},
                        {"ms", static_cast<double>(us) / 1000.0},
                        {"attempt", attempt}};
  std::string line = to_json_text(o);
  line += '\n';
  std::lock_guard lock(mu_);
  out_ << line;
}

void RecordTrace::finish() {
  std::lock_guard lock(mu_);
  out_.flush();
  if (!out_) throw std::runtime_error("cannot write trace file '" + path_ + "'");
}

}  // namespace flowrun
