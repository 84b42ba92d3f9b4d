#include "nodes/listings/page_fetcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "nodes/http/http_client.hpp"

extern char** environ;

namespace flowrun::listings {

namespace {

class HttpFetcher : public PageFetcher {
 public:
  explicit HttpFetcher(http::Client& c) : client_(c) {}
  Page fetch(const std::string& url) override {
    http::Response r = client_.get(url, {{"Accept", "text/html,application/xhtml+xml"}});
    Page p;
    p.status = r.status;
    p.body = std::move(r.body);
    p.final_url = r.effective_url.empty() ? url : r.effective_url;
    p.location = r.header("location");
    p.retry_after = r.header("retry-after");
    return p;
  }

 private:
  http::Client& client_;
};

class ChromiumFetcher : public PageFetcher {
 public:
  explicit ChromiumFetcher(ChromiumOptions o) : opts_(std::move(o)) {}
  Page fetch(const std::string& url) override {
    Page p;
    p.body = chromium_dump_dom(url, opts_);
    p.status = 200;  // --dump-dom does not tell; block detection reads the content instead
    p.final_url = url;
    return p;
  }

 private:
  ChromiumOptions opts_;
};

// Removes Chromium's throwaway profile whatever happens.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "flowrun-chromium-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error(std::string("cannot create a temp dir for chromium: ") + std::strerror(errno));
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

std::unique_ptr<PageFetcher> make_http_fetcher(http::Client& client) { return std::make_unique<HttpFetcher>(client); }
std::unique_ptr<PageFetcher> make_chromium_fetcher(ChromiumOptions opts) {
  return std::make_unique<ChromiumFetcher>(std::move(opts));
}

std::string chromium_dump_dom(const std::string& url, const ChromiumOptions& opts) {
  // The URL is passed as an argument vector (no shell); refuse anything that could be read as
  // a Chromium switch or a local file.
  if (!(url.starts_with("http://") || url.starts_with("https://")))
    throw std::runtime_error("chromium render: refusing non-HTTP URL '" + url + "'");
  if (access(opts.binary.c_str(), X_OK) != 0) throw std::runtime_error("chromium render: '" + opts.binary + "' is not executable");
  TempDir profile;
  std::vector<std::string> args = {opts.binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                   "--no-first-run", "--disable-background-networking",
                                   "--disable-component-update", "--disable-sync",
                                   "--user-data-dir=" + profile.path};
  if (!opts.proxy.empty()) args.push_back("--proxy-server=" + opts.proxy);
  if (!opts.user_agent.empty()) args.push_back("--user-agent=" + opts.user_agent);
  args.push_back("--dump-dom");
  args.push_back(url);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("chromium render: pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a timeout kills Chromium's helper processes too.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, opts.binary.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw std::runtime_error("chromium render: cannot start '" + opts.binary + "': " + std::strerror(rc));
  }

  std::string out;
  bool timed_out = false, cancelled = false;
  auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  char buf[65536];
  for (;;) {
    if (opts.cancelled && opts.cancelled()) {
      cancelled = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    int n = poll(&pfd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 200)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  close(fds[0]);
  if (timed_out || cancelled) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!timed_out && !cancelled) kill(-pid, SIGKILL);  // stray helpers of a finished browser
  if (cancelled) throw std::runtime_error("chromium render of " + url + " cancelled");
  if (timed_out) throw std::runtime_error("chromium render of " + url + " timed out after " + std::to_string(opts.timeout.count()) + " ms");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("chromium render of " + url + " failed (exit status " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  if (out.empty()) throw std::runtime_error("chromium render of " + url + " printed no DOM");
  return out;
}

}  // namespace flowrun::listings
