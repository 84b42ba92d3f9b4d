#include "nodes/listings/cdp_pipe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "engine/json_text.hpp"

extern char** environ;

namespace flowrun::listings {

namespace json = boost::json;

namespace {

std::runtime_error sys_error(const std::string& what) { return std::runtime_error(what + ": " + std::strerror(errno)); }

// A descriptor number above the ones the child's dup2 targets (3 and 4), so that the file actions
// never overwrite one source with another.
int high_fd(int fd) {
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  close(fd);
  if (moved < 0) throw sys_error("chromium: fcntl");
  return moved;
}

std::string make_profile_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "flowrun-chromium-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw sys_error("chromium: cannot create a profile directory");
  return tmpl;
}

}  // namespace

CdpPipe::CdpPipe(const std::string& binary, const std::vector<std::string>& extra_args) {
  if (access(binary.c_str(), X_OK) != 0) throw std::runtime_error("chromium render: '" + binary + "' is not executable");
  // One socket pair serves both directions: the child's end becomes its fd 3 and fd 4, ours is
  // written with MSG_NOSIGNAL so a browser that died is an error, not a SIGPIPE for the run.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw sys_error("chromium: socketpair");
  int ours = high_fd(sv[0]), theirs = high_fd(sv[1]);
  profile_dir_ = make_profile_dir();
  std::vector<std::string> args = {binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                                   "--user-data-dir=" + profile_dir_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.push_back("about:blank");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, theirs, 3);
  posix_spawn_file_actions_adddup2(&fa, theirs, 4);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so that closing kills Chromium's helper processes too.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  int rc = posix_spawn(&pid_, binary.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(theirs);
  if (rc != 0) {
    close(ours);
    std::error_code ec;
    std::filesystem::remove_all(profile_dir_, ec);
    throw std::runtime_error("chromium render: cannot start '" + binary + "': " + std::strerror(rc));
  }
  to_browser_ = from_browser_ = ours;
}

CdpPipe::~CdpPipe() {
  if (to_browser_ >= 0) close(to_browser_);
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  std::error_code ec;
  if (!profile_dir_.empty()) std::filesystem::remove_all(profile_dir_, ec);
}

void CdpPipe::write_all(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(to_browser_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw sys_error("chromium render: the browser went away (write)");
    done += static_cast<std::size_t>(n);
  }
}

int CdpPipe::send(const std::string& method, json::object params, const std::string& session) {
  json::object msg{{"id", ++next_id_}, {"method", method}, {"params", std::move(params)}};
  if (!session.empty()) msg["sessionId"] = session;
  write_all(to_json_text(msg) + '\0');
  return next_id_;
}

bool CdpPipe::read_some(Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd pfd{from_browser_, POLLIN, 0};
    int n = poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("chromium render: poll");
    if (n == 0) continue;
    char buf[65536];
    ssize_t got = read(from_browser_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw std::runtime_error("chromium render: the browser closed the DevTools pipe (crashed or exited)");
    inbox_.append(buf, static_cast<std::size_t>(got));
    return true;
  }
}

bool CdpPipe::take_buffered(json::object& out) {
  for (auto end = inbox_.find('\0'); end != std::string::npos; end = inbox_.find('\0')) {
    json::value v = json::parse(std::string_view(inbox_).substr(0, end));
    inbox_.erase(0, end + 1);
    if (v.is_object()) {
      out = std::move(v.as_object());
      return true;
    }
  }
  return false;
}

json::object CdpPipe::next(Clock::time_point deadline) {
  json::object m;
  if (!pending_.empty()) {
    m = std::move(pending_.front());
    pending_.pop_front();
    return m;
  }
  while (!take_buffered(m))
    if (!read_some(deadline)) return {};
  return m;
}

json::object CdpPipe::call(const std::string& method, json::object params, const std::string& session,
                           Clock::time_point deadline) {
  const int id = send(method, std::move(params), session);
  for (;;) {
    json::object m;
    // Past the queue: the reply is new, and the queue keeps its order for next().
    while (!take_buffered(m))
      if (!read_some(deadline)) throw std::runtime_error("chromium render: no answer to " + method + " in time");
    const json::value* mid = m.if_contains("id");
    if (!mid || !mid->is_int64() || mid->as_int64() != id) {
      pending_.push_back(std::move(m));
      continue;
    }
    if (const json::value* err = m.if_contains("error"); err && err->is_object()) {
      const json::value* text = err->as_object().if_contains("message");
      throw std::runtime_error("chromium render: " + method + " failed: " +
                               (text && text->is_string() ? std::string(text->as_string()) : to_json_text(*err)));
    }
    const json::value* result = m.if_contains("result");
    return result && result->is_object() ? result->as_object() : json::object{};
  }
}

}  // namespace flowrun::listings
