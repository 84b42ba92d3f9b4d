// `csv_listings`: listing exports (Redfin "download all" and the like) read as raw records, one
// per row, header names as keys. Bad rows go to `errors` with their line; the file goes on.
#include "nodes/listings/csv_listings_node.hpp"

#include <glob.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/node_type.hpp"
#include "nodes/file/csv.hpp"

namespace flowrun::listings {

namespace json = boost::json;

namespace {

std::string trim(std::string s) {
  auto ws = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && ws(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && ws(s[i])) ++i;
  return s.substr(i);
}

bool all_empty(const std::vector<std::string>& cells, std::size_t from = 0) {
  for (std::size_t i = from; i < cells.size(); ++i)
    if (!trim(cells[i]).empty()) return false;
  return true;
}

}  // namespace

std::vector<std::string> expand_glob(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

CsvListingsSource::CsvListingsSource(const CsvListingsOptions& o, const NodeInfo& node) : o_(o), node_(node) {}

void CsvListingsSource::open(RunContext&) {
  files_ = expand_glob(o_.path);
  if (files_.empty() && !o_.allow_empty)
    throw std::runtime_error("node '" + node_.id + "': no file matches '" + o_.path + "'");
}

void CsvListingsSource::emit_error(Emitter& out, const std::string& file, int line, const std::string& reason,
                                   const std::vector<std::string>& cells) {
  json::array raw;
  for (const auto& c : cells) raw.emplace_back(c);
  std::string base = std::filesystem::path(file).filename().string();
  Record r(json::object{{"site", o_.source},
                        {"source_file", file},
                        {"source_line", line},
                        {"cells", std::move(raw)},
                        {"error", json::object{{"file", file}, {"line", line}, {"reason", reason}}}});
  r.env.source = node_.id;
  r.env.source_id = base + ":" + std::to_string(line);
  spdlog::warn("{}: {}:{}: {}", node_.id, file, line, reason);
  ++stats_.bad_rows;
  out.emit("errors", std::move(r));
}

void CsvListingsSource::read_file(RunContext& ctx, Emitter& out, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    emit_error(out, file, 0, "cannot open file", {});
    return;
  }
  ++stats_.files;
  std::string base = std::filesystem::path(file).filename().string();
  csv::Reader reader(in);  // the file source's reader: one RFC 4180 reader for the project
  std::vector<std::string> header;
  bool header_seen = false, after_header = false;
  int mls_col = -1;
  for (;;) {
    if (ctx.stopping()) break;
    struct {
      std::vector<std::string> cells;
      int line = 0;
    } row;
    try {
      auto cells = reader.next();
      if (!cells) break;
      row.cells = std::move(*cells);
      row.line = static_cast<int>(reader.line());
    } catch (const std::runtime_error& e) {
      // An unterminated quote swallows the rest of the file: one error naming where it began.
      emit_error(out, file, static_cast<int>(reader.line()), e.what(), {});
      break;
    }
    if (all_empty(row.cells)) continue;  // blank lines, trailing newline runs
    if (!header_seen) {
      for (auto& c : row.cells) header.push_back(trim(c));
      header_seen = after_header = true;
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == "MLS#") mls_col = static_cast<int>(i);
      if (std::find(header.begin(), header.end(), "ADDRESS") == header.end())
        spdlog::warn("{}: {} has no ADDRESS column; is it a listing export?", node_.id, file);
      continue;
    }
    // Browser downloads put one notice cell ("In accordance with local MLS rules ...") right
    // after the header: not a listing.
    if (after_header && header.size() > 1 && !trim(row.cells[0]).empty() && all_empty(row.cells, 1)) {
      after_header = false;
      ++stats_.notices;
      spdlog::info("{}: {}:{}: skipped notice row", node_.id, file, row.line);
      continue;
    }
    after_header = false;
    if (row.cells.size() != header.size()) {
      emit_error(out, file, row.line,
                 "expected " + std::to_string(header.size()) + " columns, found " + std::to_string(row.cells.size()), row.cells);
      continue;
    }
    json::object data;
    for (std::size_t i = 0; i < header.size(); ++i) data[header[i]] = trim(row.cells[i]);
    if (!data.contains("site")) data["site"] = o_.source;
    if (!data.contains("source_file")) data["source_file"] = file;
    if (!data.contains("source_line")) data["source_line"] = row.line;
    Record r(std::move(data));
    r.env.source = node_.id;
    std::string mls = mls_col >= 0 ? trim(row.cells[static_cast<std::size_t>(mls_col)]) : "";
    r.env.source_id = mls.empty() ? base + ":" + std::to_string(row.line) : mls;
    out.emit(std::move(r));
    ++stats_.records;
  }
  if (!header_seen) emit_error(out, file, 1, "empty file: no header row", {});
}

void CsvListingsSource::run(RunContext& ctx, Emitter& out) {
  for (const auto& f : files_) {
    if (ctx.stopping()) break;
    read_file(ctx, out, f);
  }
  ctx.add_counter(node_.id + ".records", stats_.records);
  ctx.add_counter(node_.id + ".bad_rows", stats_.bad_rows);
  spdlog::info("{}: {} records from {} files ({} bad rows, {} notice rows skipped)", node_.id, stats_.records,
               stats_.files, stats_.bad_rows, stats_.notices);
}

NodeDescriptor csv_listings_descriptor() {
  using O = CsvListingsOptions;
  NodeType<O> t("csv_listings", Role::source,
                "Reads listing exports (Redfin \"download all\" CSV and similar): one raw record per row with the "
                "header names as keys (values as raw strings), source id = MLS# (else file:line). Skips the notice "
                "row after the header; a row with the wrong number of columns goes to `errors` with its line.");
  t.option("path", &O::path, "CSV file or glob (e.g. exports/redfin_*.csv), relative to the pipeline's folder")
      .required()
      .path();
  t.option("source", &O::source, "label stored as `site` in every record").alias("site_name");
  t.option("allow_empty", &O::allow_empty, "no matching file is not an error");
  // Exports are often downloaded just before the run, so a missing file is only a warning here.
  t.validate([](const O& o, Check& check) {
    if (!o.allow_empty && !o.path.empty() && expand_glob(o.path).empty())
      check.warning("path", "no file matches '" + o.path + "' yet; `flowrun run` fails unless one does (or allow_empty)");
  });
  t.create([](const O& o, const NodeInfo& n) { return std::make_unique<CsvListingsSource>(o, n); });
  return t.descriptor();
}

}  // namespace flowrun::listings
