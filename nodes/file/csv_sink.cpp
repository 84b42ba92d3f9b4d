// `csv` sink: a header row, then one row per record. Nested values are written as JSON text.
#include "engine/json_text.hpp"
#include "engine/context.hpp"
#include "engine/registry.hpp"
#include "nodes/file/csv.hpp"
#include "nodes/file/output_file.hpp"

namespace flowrun {

namespace {

std::string cell(const json::value* v) {
  if (!v || v->is_null()) return "";
  if (v->is_string()) return std::string(v->as_string());
  return to_json_text(*v);
}

class CsvSink : public ProcessNode {
 public:
  explicit CsvSink(const NodeConfig& c) : path_(c.get_path("path")), columns_(c.get_list("columns")) {}
  void open(RunContext&) override { file_ = std::make_unique<OutputFile>(path_, false); }
  void process(Record in, RunContext&, Emitter&) override {
    std::lock_guard lock(mu_);
    if (columns_.empty())  // the first record decides when no columns are configured
      for (const auto& kv : in.data) columns_.emplace_back(kv.key());
    if (!header_written_) {
      std::string h;
      for (const auto& c : columns_) h += (h.empty() ? "" : ",") + csv::quote(c);
      file_->write_line(h);
      header_written_ = true;
    }
    std::string row;
    for (std::size_t i = 0; i < columns_.size(); ++i) row += (i ? "," : "") + csv::quote(cell(in.data.if_contains(columns_[i])));
    file_->write_line(row);
  }
  void close(RunContext&, Emitter&) override { file_->flush(); }

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::mutex mu_;
  bool header_written_ = false;
  std::unique_ptr<OutputFile> file_;
};

}  // namespace

NodeDescriptor csv_sink_descriptor() {
  NodeDescriptor d;
  d.type = "csv";
  d.role = Role::sink;
  d.description = "Writes records as CSV with a header row; nested values are written as JSON text.";
  d.options = {
      {"path", OptionType::path, "", "Output file; parent folders are created.", true, {}},
      {"columns", OptionType::string_list, "", "Columns in order (default: the fields of the first record).", false, {}},
  };
  d.factory = [](const NodeConfig& c) { return std::make_unique<CsvSink>(c); };
  return d;
}

}  // namespace flowrun
