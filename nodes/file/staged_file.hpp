// A file a sink writes. Lines go to a temporary file beside the target, which replaces the target
// only when the run ends well (publish): a failed or interrupted run leaves yesterday's file as it
// was, and a full disk is an error at the write, the flush or the sync, never a silent short file.
// With `append`, the temporary file starts as a copy of the target, so appending is all or nothing.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace flowrun {

class StagedFile {
 public:
  // Creates missing folders and the temporary file. Throws WriteError saying why not.
  StagedFile(std::string target, bool append);
  ~StagedFile();  // discards the temporary file unless it was published
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  // Thread-safe; throws WriteError when the bytes cannot be written.
  void write_line(std::string_view line);
  // Writes what is buffered and syncs it to disk; throws WriteError.
  void finish();
  // Renames the finished file over the target; throws WriteError.
  void publish();
  void discard();

  const std::string& target() const { return target_; }

 private:
  void flush_locked();

  std::string target_, temp_;
  int fd_ = -1;
  std::mutex mu_;
  std::string buf_;
  bool published_ = false;
};

}  // namespace flowrun
