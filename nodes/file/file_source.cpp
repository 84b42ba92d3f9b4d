// `file` source: JSONL, a JSON array, or CSV with a header; `path` may be a glob. A line that
// does not parse goes to `errors` with file, line and reason; the rest of the file still flows.
#include <glob.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/json_text.hpp"
#include "engine/context.hpp"
#include "engine/utf8.hpp"
#include "engine/node_type.hpp"
#include "nodes/file/csv.hpp"

namespace flowrun {

namespace {

std::vector<std::string> expand_glob(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  return out;
}

std::string detect_format(const std::string& path, const std::string& format) {
  if (format != "auto") return format;
  auto ext = std::filesystem::path(path).extension().string();
  if (ext == ".csv") return "csv";
  if (ext == ".json") return "json";
  return "jsonl";
}

struct FileOptions {
  std::string path, format = "auto", id_field;
  std::int64_t limit = 0;
  std::vector<std::string> fields;  // declared by the user; empty = not known
};

class FileSource : public SourceNode {
 public:
  explicit FileSource(const FileOptions& o) : pattern_(o.path), format_(o.format), id_field_(o.id_field), limit_(o.limit) {}

  void run(RunContext& ctx, Emitter& out) override {
    auto files = expand_glob(pattern_);
    if (files.empty()) throw std::runtime_error("no file matches '" + pattern_ + "'");
    for (const auto& f : files) {
      if (ctx.stopping() || done()) break;
      std::error_code ec;
      if (std::filesystem::is_directory(f, ec)) throw std::runtime_error("cannot read '" + f + "': Is a directory");
      std::ifstream in(f, std::ios::binary);
      if (!in) throw std::runtime_error("cannot open '" + f + "': " + std::strerror(errno));
      const std::string fmt = detect_format(f, format_);
      if (fmt == "csv") read_csv(ctx, in, f, out);
      else if (fmt == "json") read_json_array(in, f, out);
      else read_jsonl(ctx, in, f, out);
    }
  }

 private:
  bool done() const { return limit_ > 0 && emitted_ >= limit_; }

  void send(json::object data, const std::string& file, long line, Emitter& out) {
    Record r(std::move(data));
    if (!id_field_.empty()) {
      if (auto* v = r.data.if_contains(id_field_)) r.env.source_id = v->is_string() ? std::string(v->as_string()) : to_json_text(*v);
    }
    if (r.env.source_id.empty()) r.env.source_id = std::filesystem::path(file).filename().string() + ":" + std::to_string(line);
    ++emitted_;
    out.emit(std::move(r));
  }

  static void bad(const std::string& file, long line, const std::string& reason, const std::string& text, Emitter& out) {
    // The sample is repaired to UTF-8 so that the dead-letter line stays valid JSON.
    Record r(json::object{{"text", to_valid_utf8(std::string_view(text).substr(0, 2000))}});
    r.env.source_id = std::filesystem::path(file).filename().string() + ":" + std::to_string(line);
    r.meta["error"] = json::object{{"message", file + ":" + std::to_string(line) + ": " + reason},
                                   {"field", "line"}, {"rule", "parseable"}, {"file", file}, {"line", line}};
    out.emit("errors", std::move(r));
  }

  // Boost.JSON reads 1e999 as infinity, which no JSON writer can write back.
  static bool has_non_finite(const json::value& v) {
    if (v.is_double()) return !std::isfinite(v.get_double());
    if (v.is_object()) {
      for (const auto& kv : v.get_object())
        if (has_non_finite(kv.value())) return true;
    } else if (v.is_array()) {
      for (const auto& x : v.get_array())
        if (has_non_finite(x)) return true;
    }
    return false;
  }

  void read_jsonl(RunContext& ctx, std::istream& in, const std::string& file, Emitter& out) {
    std::string line;
    long n = 0;
    while (!done() && !ctx.stopping() && std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (ec) bad(file, n, "invalid JSON: " + ec.message(), line, out);
      else if (!v.is_object()) bad(file, n, "expected a JSON object per line", line, out);
      else if (has_non_finite(v)) bad(file, n, "a number is out of range (JSON has no Infinity or NaN)", line, out);
      else send(std::move(v.as_object()), file, n, out);
    }
  }

  void read_json_array(std::istream& in, const std::string& file, Emitter& out) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return bad(file, 1, "invalid JSON: " + ec.message(), text.substr(0, 200), out);
    if (!v.is_array()) return bad(file, 1, "expected a JSON array of objects", text.substr(0, 200), out);
    long i = 0;
    for (auto& item : v.as_array()) {
      ++i;
      if (done()) break;
      if (!item.is_object()) bad(file, i, "array element " + std::to_string(i) + " is not an object", to_json_text(item), out);
      else if (has_non_finite(item)) bad(file, i, "a number is out of range (JSON has no Infinity or NaN)", to_json_text(item), out);
      else send(std::move(item.as_object()), file, i, out);
    }
  }

  void read_csv(RunContext& ctx, std::istream& in, const std::string& file, Emitter& out) {
    csv::Reader reader(in);
    std::vector<std::string> header;
    try {
      auto h = reader.next();
      if (!h) return;
      header = *h;
      while (!done() && !ctx.stopping()) {
        auto row = reader.next();
        if (!row) break;
        if (row->size() == 1 && (*row)[0].empty()) continue;  // blank line
        if (row->size() != header.size()) {
          bad(file, reader.line(), "expected " + std::to_string(header.size()) + " columns, got " + std::to_string(row->size()), "", out);
          continue;
        }
        json::object o;
        // Exports are not always UTF-8 (Latin-1 from old tools): keep the row, mark bad bytes U+FFFD.
        for (std::size_t i = 0; i < header.size(); ++i) o[to_valid_utf8(header[i])] = to_valid_utf8((*row)[i]);
        send(std::move(o), file, reader.line(), out);
      }
    } catch (const std::runtime_error& e) {
      bad(file, reader.line(), e.what(), "", out);
    }
  }

  std::string pattern_, format_, id_field_;
  std::int64_t limit_ = 0, emitted_ = 0;
};

}  // namespace

NodeDescriptor file_source_descriptor() {
  NodeType<FileOptions> t("file", Role::source,
                          "Reads records from files: JSON Lines, a JSON array of objects, or CSV with a header row. "
                          "Lines that do not parse go to `errors` with file, line and reason.");
  t.option("path", &FileOptions::path, "File path or glob (e.g. data/*.jsonl), relative to the pipeline's folder.")
      .required()
      .path();
  t.option("format", &FileOptions::format, "auto (by extension: .csv, .json, else JSON Lines), jsonl, json or csv.")
      .choices({"auto", "jsonl", "json", "csv"});
  t.option("id_field", &FileOptions::id_field, "Field whose value becomes the record's source id (default: file:line).");
  t.option("limit", &FileOptions::limit, "Stop after this many records (0 = all).").at_least(0);
  t.option("fields", &FileOptions::fields,
           "The fields the records carry, if you want `flowrun check` to know them: a sink column that is none of "
           "them is then an error. `address.street` names a nested field, `attributes.*` any field below one. "
           "A declaration for checking; the records are not checked against it.");
  t.fields([](const FileOptions& o, const std::optional<FieldSet>&) -> std::optional<FieldSet> {
    if (o.fields.empty()) return std::nullopt;
    return FieldSet(o.fields);
  });
  t.validate([](const FileOptions& o, Check& c) {
    // A glob may match tomorrow's files; a plain path must be there.
    if (o.path.find_first_of("*?[") != std::string::npos) return;
    std::error_code ec;
    if (std::filesystem::is_directory(o.path, ec)) c.error("path", "'" + o.path + "' is a directory, not a file");
    else if (!std::filesystem::exists(o.path, ec)) c.warning("path", "'" + o.path + "' does not exist (yet)");
  });
  t.create([](const FileOptions& o, const NodeInfo&) { return std::make_unique<FileSource>(o); });
  return t.descriptor();
}

}  // namespace flowrun
