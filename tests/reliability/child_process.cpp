#include "tests/reliability/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/shared/run_checks.hpp"

extern char** environ;

namespace flowrun::reltest {

std::string ChildResult::describe() const {
  if (timed_out) return "timed out (killed)";
  if (signal) return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit " + std::to_string(exit_code);
}

Spawned spawn_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                    const std::string& cwd, const std::string& out_path, const std::string& err_path,
                    std::int64_t file_size_limit) {
  // Everything is prepared before fork: the fixture servers' threads are running in this
  // process, so the child may only make async-signal-safe calls until execve.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (!env.count(kv.substr(0, kv.find('=')))) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env)
    if (!v.empty()) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (out_fd < 0 || err_fd < 0 || null_fd < 0) throw std::runtime_error("cannot open capture files");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    if (file_size_limit > 0) {
      // A full disk made without mount: writes past the limit fail with EFBIG instead of a signal.
      struct sigaction ign {};
      ign.sa_handler = SIG_IGN;
      ::sigaction(SIGXFSZ, &ign, nullptr);
      struct rlimit lim {static_cast<rlim_t>(file_size_limit), static_cast<rlim_t>(file_size_limit)};
      ::setrlimit(RLIMIT_FSIZE, &lim);
    }
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  ::close(null_fd);
  return {pid, out_path, err_path};
}

void collect(ChildResult& r, int status, const Spawned& c) {
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = read_file(c.out_path);
  r.err = read_file(c.err_path);
}

ChildResult wait_child(const Spawned& c, std::chrono::milliseconds limit) {
  ChildResult r;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(c.pid, SIGKILL);
      ::waitpid(c.pid, &status, 0);
      r.timed_out = true;
      r.out = read_file(c.out_path);
      r.err = read_file(c.err_path);
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  collect(r, status, c);
  return r;
}

ChildResult run_child(const std::vector<std::string>& argv, std::chrono::seconds limit,
                      const std::map<std::string, std::string>& env) {
  TempDir io;
  auto r = wait_child(spawn_child(argv, env, "", io.file("stdout"), io.file("stderr")), limit);
  check_flowrun_run(argv, r);
  return r;
}

void check_flowrun_run(const std::vector<std::string>& argv, const ChildResult& r) {
  if (!r.exited() || argv.empty()) return;
  if (argv[0] != flowrun_bin() && std::filesystem::path(argv[0]).filename() != "flowrun") return;
  flowrun::testing::check_run_output({argv.begin() + 1, argv.end()}, r.exit_code, r.out, r.err);
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "flowrun-rel-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string flowrun_bin() {
  if (const char* b = std::getenv("FLOWRUN_BIN"); b && *b) return b;
#ifdef FLOWRUN_BIN_DEFAULT
  return FLOWRUN_BIN_DEFAULT;
#else
  throw std::runtime_error("set FLOWRUN_BIN to the flowrun binary");
#endif
}

}  // namespace flowrun::reltest
