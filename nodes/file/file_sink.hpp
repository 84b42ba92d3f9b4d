// What the jsonl, csv and dead_letter sinks share: a staged file (staged_file.hpp). Every record
// written is held until close() has synced the file, and the file replaces its target once that sync
// succeeded, so the summary never counts a line that is not on disk.
#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "engine/node.hpp"
#include "nodes/file/staged_file.hpp"

namespace flowrun {

class FileSink : public ProcessNode {
 public:
  FileSink(std::string id, std::string path, bool append) : id_(std::move(id)), path_(std::move(path)), append_(append) {}

  void open(RunContext&) override { file_ = std::make_unique<StagedFile>(path_, append_); }
  void close(RunContext&, Emitter& out) override;
  void after_run(RunContext& ctx, const RunSummary& s) override;

 protected:
  // Writes one record's line and holds the record until the file is synced.
  void write_record(std::string_view line, Emitter& out) {
    file_->write_line(line);
    out.hold();
    records_.fetch_add(1, std::memory_order_relaxed);
  }
  // A line that is no record (a CSV header).
  void write_line(std::string_view line) { file_->write_line(line); }
  const std::string& id() const { return id_; }
  virtual const char* what() const { return "records"; }

 private:
  std::string id_, path_;
  bool append_;
  std::unique_ptr<StagedFile> file_;
  std::atomic<std::int64_t> records_{0};
  bool finished_ = false;  // close() synced the file
};

}  // namespace flowrun
