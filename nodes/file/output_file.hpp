// An output file shared by the file sinks: creates parent folders, truncates or appends, and
// serialises writes from concurrent bodies.
#pragma once
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>

namespace flowrun {

class OutputFile {
 public:
  OutputFile(const std::string& path, bool append) : path_(path) {
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    out_.open(path, append ? std::ios::app | std::ios::binary : std::ios::trunc | std::ios::binary);
    if (!out_) throw std::runtime_error("cannot open '" + path + "' for writing");
  }
  void write_line(const std::string& line) {
    std::lock_guard lock(mu_);
    out_ << line << '\n';
    if (!out_) throw std::runtime_error("write to '" + path_ + "' failed");
  }
  bool empty_so_far() {
    std::lock_guard lock(mu_);
    return out_.tellp() == 0;
  }
  void flush() {
    std::lock_guard lock(mu_);
    out_.flush();
  }

 private:
  std::string path_;
  std::mutex mu_;
  std::ofstream out_;
};

}  // namespace flowrun
