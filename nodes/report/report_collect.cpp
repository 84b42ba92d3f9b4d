// collect_report: the sections in the order the HTML shows them; and writing a report file.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/json_text.hpp"
#include "nodes/report/report_format.hpp"
#include "nodes/report/report_model.hpp"
#include "nodes/store/record_rows.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::report {

namespace json = boost::json;
namespace fs = std::filesystem;

json::object collect_report(store::Store& st, const ReportOptions& opts) {
  const auto data = detail::load(st, opts);
  const auto period = detail::period_of(data, opts);
  json::object rep;
  rep["report_version"] = 1;
  rep["generated_at"] = store::iso_now();
  rep["store"] = st.kind();
  rep["period"] = json::object{{"days", opts.period_days},
                               {"from", period.latest ? json::value(period.start + "Z") : json::value(nullptr)},
                               {"to", period.latest ? json::value(period.end + "Z") : json::value(nullptr)},
                               {"runs", static_cast<std::int64_t>(period.runs.size())},
                               {"timezone", opts.timezone}};
  if (!period.latest) {
    rep["run"] = nullptr;
    return rep;
  }
  rep["run"] = detail::run_section(period, opts);
  rep["headline"] = detail::headline_section(data, period);
  rep["listings"] = detail::listings_section(data, period);
  rep["market"] = detail::market_section(data, period, opts);
  rep["quality"] = detail::quality_section(st, data, period);
  rep["runs"] = detail::runs_section(data, period);
  std::int64_t in_store = static_cast<std::int64_t>(data.properties.size());
  rep["properties_in_store"] = in_store;
  return rep;
}

std::string render_json(const json::object& report) { return to_json_text(report) + "\n"; }

std::string format_from_extension(const std::string& path) {
  const auto ext = fs::path(path).extension().string();
  return ext == ".json" ? "json" : ext == ".csv" ? "csv" : "html";
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const fs::path target(path);
  if (fs::is_directory(target)) throw std::runtime_error("cannot write " + path + ": it is a directory");
  if (auto parent = target.parent_path(); !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw std::runtime_error("cannot create " + parent.string() + ": " + ec.message());
  }
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": " + what + ": " + std::strerror(err));
  };
  for (std::size_t off = 0; off < text.size();) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write");
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) fail("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": close: " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": rename: " + std::strerror(err));
  }
}

void write_report_file(const std::string& store_url, const std::string& format, const std::string& out_path,
                       const std::string& dot_text, const ReportOptions& opts) {
  if (format != "json" && format != "csv" && format != "html")
    throw std::invalid_argument("unknown report format '" + format + "' (use json, csv or html)");
  auto st = store::Store::open(store_url);
  const auto rep = collect_report(*st, opts);
  const std::string text = format == "json" ? render_json(rep) : format == "csv" ? render_csv(rep) : render_html(rep, dot_text);
  write_file_atomically(out_path, text);
}

int write_report(const std::string& store_url, const std::string& format, const std::string& out_path,
                 const std::string& dot_text, const ReportOptions& opts) {
  try {
    write_report_file(store_url, format, out_path, dot_text, opts);
    return 0;
  } catch (const std::invalid_argument& e) {
    spdlog::error("report: {}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("report: {}", e.what());
    return 1;
  }
}

}  // namespace flowrun::report
