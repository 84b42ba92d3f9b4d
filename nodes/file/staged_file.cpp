#include "nodes/file/staged_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/node.hpp"

namespace flowrun {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kFlushAt = 64 * 1024;

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw WriteError(what + " '" + path + "': " + std::strerror(err));
}

void write_all(int fd, const char* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    p += w, n -= static_cast<std::size_t>(w);
  }
}

void sync_dir(const fs::path& dir) {
  const int d = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (d >= 0) ::fsync(d), ::close(d);
}

}  // namespace

StagedFile::StagedFile(std::string target, bool append) : target_(std::move(target)) {
  const fs::path t(target_);
  std::error_code ec;
  if (fs::is_directory(t, ec)) throw WriteError("cannot write '" + target_ + "': Is a directory");
  if (t.has_parent_path()) {
    fs::create_directories(t.parent_path(), ec);
    if (ec) throw WriteError("cannot create the folder of '" + target_ + "': " + ec.message());
  }
  temp_ = (t.parent_path() / ("." + t.filename().string() + "." + std::to_string(::getpid()) + ".tmp")).string();
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot write", target_, errno);
  if (append && fs::exists(t, ec)) {
    const int in = ::open(target_.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) fail("cannot read", target_, errno);
    char chunk[1 << 16];
    for (ssize_t r; (r = ::read(in, chunk, sizeof chunk)) != 0;) {
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        const int err = errno;
        ::close(in);
        fail("cannot read", target_, err);
      }
      write_all(fd_, chunk, static_cast<std::size_t>(r), target_);
    }
    ::close(in);
  }
}

StagedFile::~StagedFile() { discard(); }

void StagedFile::write_line(std::string_view line) {
  std::lock_guard lock(mu_);
  buf_.append(line);
  buf_.push_back('\n');
  if (buf_.size() >= kFlushAt) flush_locked();
}

void StagedFile::flush_locked() {
  if (fd_ < 0) throw WriteError("cannot write '" + target_ + "': already closed");
  write_all(fd_, buf_.data(), buf_.size(), target_);
  buf_.clear();
}

void StagedFile::finish() {
  std::lock_guard lock(mu_);
  flush_locked();
  if (::fsync(fd_) != 0) fail("cannot sync", target_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close", target_, errno);
}

void StagedFile::publish() {
  std::lock_guard lock(mu_);
  if (published_) return;
  if (fd_ >= 0) throw WriteError("cannot publish '" + target_ + "': not finished");
  if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("cannot replace", target_, errno);
  published_ = true;
  sync_dir(fs::path(target_).parent_path());
}

void StagedFile::discard() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_), fd_ = -1;
  if (!published_ && !temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

}  // namespace flowrun
