#include "engine/data_files.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "engine/options.hpp"

namespace flowrun {

namespace fs = std::filesystem;

namespace {

std::string executable_dir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  return fs::path(std::string(buf, static_cast<std::size_t>(n))).parent_path().string();
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

}  // namespace

std::vector<std::string> data_dirs() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("FLOWRUN_DATA_DIR"); env && *env) out.emplace_back(env);
  if (auto exe = executable_dir(); !exe.empty()) {
    auto installed = (fs::path(exe) / ".." / "share" / "flowrun" / "pipelines").lexically_normal();
    if (is_dir(installed)) out.push_back(installed.string());
  }
#ifdef FLOWRUN_SOURCE_DIR
  if (is_dir(fs::path(FLOWRUN_SOURCE_DIR) / "pipelines")) out.push_back((fs::path(FLOWRUN_SOURCE_DIR) / "pipelines").string());
#endif
  return out;
}

DataFileLookup find_data_file(const std::string& base_dir, const std::string& kind, const std::string& name,
                              const std::string& ext) {
  DataFileLookup r;
  if (name.empty()) return r;
  const bool is_path = name.find('/') != std::string::npos ||
                       (!ext.empty() && name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0);
  if (is_path) {
    const std::string p = resolve_path(base_dir, name);
    r.tried.push_back(p);
    if (is_file(p)) r.found = p;
    return r;
  }
  std::vector<fs::path> places;
  places.push_back(fs::path(base_dir.empty() ? "." : base_dir) / kind);
  for (const auto& d : data_dirs()) places.push_back(fs::path(d) / kind);
  for (const auto& dir : places) {
    const auto p = (dir / (name + ext)).lexically_normal();
    r.tried.push_back(p.string());
    if (is_file(p)) {
      r.found = p.string();
      return r;
    }
  }
  return r;
}

std::vector<std::string> data_file_names(const std::string& base_dir, const std::string& kind, const std::string& ext) {
  std::set<std::string> names;
  std::vector<fs::path> places{fs::path(base_dir.empty() ? "." : base_dir) / kind};
  for (const auto& d : data_dirs()) places.push_back(fs::path(d) / kind);
  for (const auto& dir : places) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ext) names.insert(it->path().stem().string());
  }
  return {names.begin(), names.end()};
}

}  // namespace flowrun
