// `csv` sink: a header row, then one row per record. Nested values are written as JSON text;
// a dotted column (`address.street`) selects a nested field. A column no record can carry is a
// `check` error when the nodes upstream declare their fields (engine/fields.hpp), else a warning
// when the run ends.
#include <atomic>
#include <mutex>

#include "engine/context.hpp"
#include "engine/dotted_path.hpp"
#include "engine/fields.hpp"
#include "engine/json_text.hpp"
#include "engine/node_type.hpp"
#include "engine/yaml_util.hpp"
#include "nodes/file/csv.hpp"
#include "nodes/file/file_sink.hpp"

namespace flowrun {

namespace {

struct CsvOptions {
  std::string path;
  std::vector<std::string> columns;
  bool append = false;
};

std::string cell(const json::value* v) {
  if (!v || v->is_null()) return "";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_double()) return format_number(v->get_double());
  return to_json_text(*v);
}

// `address.street` -> data["address"]["street"]; a column that is itself a key wins (`a.b` flat).
const json::value* lookup(const json::object& data, const std::string& column) {
  if (auto* v = data.if_contains(column)) return v;
  return value_at(data, column);
}

void check_columns(const CsvOptions& o, Check& c) {
  const FieldSet* known = c.input_fields();
  if (!known) return;  // what arrives is not declared upstream: the run warns instead
  for (std::size_t i = 0; i < o.columns.size(); ++i)
    if (!known->has(o.columns[i]))
      c.error_at_item("columns", i, "column '" + o.columns[i] + "' is not a field of the records it receives" +
                                         did_you_mean(o.columns[i], known->names()));
}

class CsvSink final : public FileSink {
 public:
  CsvSink(const CsvOptions& o, const NodeInfo& n) : FileSink(n.id, o.path, o.append), columns_(o.columns), append_(o.append) {}

  void process(Record in, RunContext&, Emitter& out) override {
    std::lock_guard lock(mu_);
    if (columns_.empty())  // the first record decides when no columns are configured
      for (const auto& kv : in.data) columns_.emplace_back(kv.key());
    if (seen_.empty()) seen_.assign(columns_.size(), false);
    if (!header_written_ && !append_) {
      std::string h;
      for (const auto& c : columns_) h += (h.empty() ? "" : ",") + csv::quote(c);
      write_line(h);
    }
    header_written_ = true;
    std::string row;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const json::value* v = lookup(in.data, columns_[i]);
      seen_[i] = seen_[i] || v != nullptr;
      row += (i ? "," : "") + csv::quote(cell(v));
    }
    write_record(row, out);
  }

  void close(RunContext& ctx, Emitter& out) override {
    // A misspelt column is empty in every row: say so instead of writing it silently.
    for (std::size_t i = 0; i < seen_.size(); ++i)
      if (!seen_[i]) ctx.warn("node '" + id() + "': column '" + columns_[i] + "' is in no record (misspelt?)");
    FileSink::close(ctx, out);
  }

 private:
  std::vector<std::string> columns_;
  bool append_;
  std::mutex mu_;
  bool header_written_ = false;
  std::vector<bool> seen_;
};

}  // namespace

NodeDescriptor csv_sink_descriptor() {
  NodeType<CsvOptions> t("csv", Role::sink, "Writes records as CSV with a header row; nested values are written as JSON text.");
  t.option("path", &CsvOptions::path,
           "Output file; parent folders are created. Renamed into place when the run ends well.")
      .required()
      .output_path();
  t.option("columns", &CsvOptions::columns,
           "Columns in order (default: the fields of the first record); `address.street` selects a nested field. "
           "A column the records cannot carry is an error in `flowrun check` when the nodes upstream declare their fields, "
           "else a warning when the run ends.");
  t.option("append", &CsvOptions::append, "Add rows to the existing file (no second header; all or nothing).");
  t.validate(check_columns);
  t.create([](const CsvOptions& o, const NodeInfo& n) { return std::make_unique<CsvSink>(o, n); });
  return t.descriptor();
}

}  // namespace flowrun
