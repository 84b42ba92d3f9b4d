// JSON, CSV and self-contained HTML renderings of a collected report.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/json_text.hpp"
#include "nodes/report/report.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::report {

namespace json = boost::json;

std::string render_json(const json::object& report) { return to_json_text(report) + "\n"; }

namespace {

std::string scalar(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  if (v.is_double()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.10g", v.get_double());
    return buf;
  }
  return to_json_text(v);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Flattens nested objects to rows of (section, key, metric, value): one long table that a
// spreadsheet or `mlr` can pivot.
void flatten(const std::string& section, const std::string& key, const json::value& v,
             std::ostringstream& out) {
  if (v.is_object()) {
    for (const auto& [k, sub] : v.get_object()) {
      if (sub.is_object() || sub.is_array()) {
        flatten(section, key.empty() ? std::string(k) : key + "/" + std::string(k), sub, out);
      } else {
        out << csv_field(section) << ',' << csv_field(key) << ',' << csv_field(std::string(k)) << ','
            << csv_field(scalar(sub)) << '\n';
      }
    }
  } else if (v.is_array()) {
    std::size_t i = 0;
    for (const auto& e : v.get_array()) {
      std::string k = key.empty() ? std::to_string(i) : key + "/" + std::to_string(i);
      if (e.is_object()) {
        // rows of arrays are keyed by their id-like field when there is one
        for (const char* idk : {"id", "run_id", "node"})
          if (auto* idv = e.get_object().if_contains(idk)) {
            k = (key.empty() ? "" : key + "/") + scalar(*idv);
            if (std::string(idk) == "node" && e.get_object().contains("reason"))
              k += "/" + scalar(e.get_object().at("reason"));
            break;
          }
      }
      flatten(section, k, e, out);
      ++i;
    }
  } else {
    out << csv_field(section) << ',' << csv_field(key) << ",value," << csv_field(scalar(v)) << '\n';
  }
}

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fmt_num(const json::value& v) {
  if (v.is_double()) {
    double d = v.get_double();
    char buf[40];
    if (d == static_cast<double>(static_cast<long long>(d)) && std::abs(d) < 1e15)
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
    else
      std::snprintf(buf, sizeof buf, "%.2f", d);
    return buf;
  }
  return esc(scalar(v));
}

const json::value& at(const json::object& o, const char* k) {
  static const json::value null_v;
  auto* v = o.if_contains(k);
  return v ? *v : null_v;
}

std::string table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
  std::string t = "<table><thead><tr>";
  for (const auto& h : head) t += "<th>" + esc(h) + "</th>";
  t += "</tr></thead><tbody>";
  for (const auto& r : rows) {
    t += "<tr>";
    for (const auto& c : r) t += "<td>" + c + "</td>";  // cells are escaped by the caller
    t += "</tr>";
  }
  if (rows.empty()) t += "<tr><td colspan=\"" + std::to_string(head.size()) + "\" class=\"none\">none</td></tr>";
  return t + "</tbody></table>";
}

std::string status_table(const json::object& by) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : by) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    rows.push_back({esc(std::string(k)), fmt_num(at(o, "inserted")), fmt_num(at(o, "updated")),
                    fmt_num(at(o, "unchanged"))});
  }
  return table({"", "new", "updated", "unchanged"}, rows);
}

std::string stats_row(const char* name, const json::value& v) {
  if (!v.is_object()) return "";
  const auto& o = v.get_object();
  return "<tr><td>" + std::string(name) + "</td><td>" + fmt_num(at(o, "count")) + "</td><td>" +
         fmt_num(at(o, "min")) + "</td><td>" + fmt_num(at(o, "median")) + "</td><td>" +
         fmt_num(at(o, "mean")) + "</td><td>" + fmt_num(at(o, "max")) + "</td></tr>";
}

double number(const json::value& v) {
  return v.is_number() ? v.to_number<double>() : 0.0;
}

// A small inline SVG bar chart of new + updated per run (no script, no external file).
std::string trend_svg(const json::array& trend) {
  if (trend.empty()) return "<p class=\"none\">no runs yet</p>";
  double maxv = 1;
  for (const auto& r : trend) {
    const auto& o = r.get_object();
    double v = number(at(o, "inserted")) + number(at(o, "updated"));
    maxv = std::max(maxv, v);
  }
  const int w = 90, h = 120;
  std::string svg = "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(w * trend.size() + 20) + "\" height=\"" + std::to_string(h + 40) + "\">";
  int x = 10;
  for (const auto& r : trend) {
    const auto& o = r.get_object();
    double ins = number(at(o, "inserted")), upd = number(at(o, "updated"));
    int hi = static_cast<int>(ins / maxv * h), hu = static_cast<int>(upd / maxv * h);
    svg += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(h - hi + 10) + "\" width=\"30\" height=\"" +
           std::to_string(hi) + "\" fill=\"#4c78a8\"><title>new " + fmt_num(at(o, "inserted")) + "</title></rect>";
    svg += "<rect x=\"" + std::to_string(x + 32) + "\" y=\"" + std::to_string(h - hu + 10) +
           "\" width=\"30\" height=\"" + std::to_string(hu) + "\" fill=\"#f58518\"><title>updated " +
           fmt_num(at(o, "updated")) + "</title></rect>";
    std::string day = scalar(at(o, "started_at")).substr(0, 10);
    svg += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(h + 28) + "\" font-size=\"11\">" +
           esc(day) + "</text>";
    x += w;
  }
  return svg + "</svg>";
}

}  // namespace

std::string render_csv(const json::object& report) {
  std::ostringstream out;
  out << "section,key,metric,value\n";
  for (const auto& [section, v] : report) flatten(std::string(section), "", v, out);
  return out.str();
}

std::string dot_to_svg(const std::string& dot_text) {
  if (dot_text.empty()) return "";
  namespace fs = std::filesystem;
  char in_path[] = "/tmp/flowrun-report-XXXXXX";
  int fd = mkstemp(in_path);
  if (fd < 0) return "";
  ::close(fd);
  { std::ofstream(in_path) << dot_text; }
  std::string svg;
  std::string cmd = "dot -Tsvg '" + std::string(in_path) + "' 2>/dev/null";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[8192];
    std::size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) svg.append(buf, got);
    if (pclose(p) != 0) svg.clear();
  }
  fs::remove(in_path);
  // Inline SVG must not carry its own XML prolog or DOCTYPE.
  auto pos = svg.find("<svg");
  return pos == std::string::npos ? "" : svg.substr(pos);
}

std::string render_html(const json::object& rep, const std::string& dot_text) {
  std::string h;
  const auto& run = at(rep, "run");
  std::string title = "flowrun report";
  if (run.is_object()) title += " - " + scalar(at(run.get_object(), "pipeline"));
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title>";
  h += "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
       "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#eee}"
       "td:first-child,th:first-child{text-align:left}.none{color:#888;font-style:italic}"
       ".graph svg{max-width:100%;height:auto}pre{background:#f6f6f6;padding:1em;overflow:auto}"
       ".ok{color:#1a7f37}.failed,.crashed{color:#c00}.interrupted,.running{color:#b8860b}</style></head><body>\n";
  h += "<h1>" + esc(title) + "</h1>\n";
  if (run.is_object()) {
    const auto& r = run.get_object();
    std::string st = scalar(at(r, "status"));
    h += "<p>Run <code>" + esc(scalar(at(r, "run_id"))) + "</code>, status <b class=\"" + esc(st) + "\">" +
         esc(st) + "</b>, started " + esc(scalar(at(r, "started_at"))) + ", finished " +
         esc(scalar(at(r, "finished_at"))) + ", " + fmt_num(at(r, "duration_ms")) + " ms.</p>\n";
  } else {
    h += "<p class=\"none\">No run recorded in this store yet.</p>\n";
  }
  h += "<p>Store: " + esc(scalar(at(rep, "store"))) + ", " + fmt_num(at(rep, "properties_in_store")) +
       " properties, " + fmt_num(at(rep, "pending_enrichment")) + " pending enrichment. Generated " +
       esc(scalar(at(rep, "generated_at"))) + ".</p>\n";

  h += "<h2>Pipeline</h2>\n<div class=\"graph\">";
  if (std::string svg = dot_to_svg(dot_text); !svg.empty()) h += svg;
  else if (!dot_text.empty()) h += "<pre>" + esc(dot_text) + "</pre>";
  else h += "<p class=\"none\">graph not available</p>";
  h += "</div>\n";

  h += "<h2>Records</h2>\n";
  if (const auto& t = at(rep, "totals"); t.is_object())
    h += "<h3>Total</h3>" + status_table(json::object{{"all", t}});
  if (const auto& v = at(rep, "by_source"); v.is_object()) h += "<h3>By source</h3>" + status_table(v.get_object());
  if (const auto& v = at(rep, "by_zip"); v.is_object()) h += "<h3>By ZIP</h3>" + status_table(v.get_object());

  h += "<h2>Values</h2>\n<table><thead><tr><th></th><th>count</th><th>min</th><th>median</th><th>mean</th>"
       "<th>max</th></tr></thead><tbody>";
  h += stats_row("price", at(rep, "price")) + stats_row("assessed value", at(rep, "assessed_value")) +
       stats_row("full cash value", at(rep, "full_cash_value"));
  h += "</tbody></table>\n";
  if (const auto& zp = at(rep, "price_by_zip"); zp.is_object() && !zp.get_object().empty()) {
    h += "<h3>Median price by ZIP</h3><table><thead><tr><th>ZIP</th><th>count</th><th>min</th><th>median</th>"
         "<th>mean</th><th>max</th></tr></thead><tbody>";
    for (const auto& [zip, st] : zp.get_object()) h += stats_row(esc(std::string(zip)).c_str(), st);
    h += "</tbody></table>\n";
  }

  h += "<h2>Nodes</h2>\n";
  std::vector<std::vector<std::string>> nrows;
  if (const auto& ns = at(rep, "nodes"); ns.is_array())
    for (const auto& nv : ns.get_array()) {
      if (!nv.is_object()) continue;
      const auto& o = nv.get_object();
      nrows.push_back({esc(scalar(at(o, "id"))), esc(scalar(at(o, "type"))), fmt_num(at(o, "in")),
                       fmt_num(at(o, "out")), fmt_num(at(o, "errors")), fmt_num(at(o, "filtered")),
                       fmt_num(at(o, "p50_ms")), fmt_num(at(o, "p95_ms")), fmt_num(at(o, "max_queued")),
                       fmt_num(at(o, "busy_ms"))});
    }
  h += table({"node", "type", "in", "out", "errors", "filtered", "p50 ms", "p95 ms", "queue max", "busy ms"}, nrows);

  h += "<h2>Errors and dead letters</h2>\n";
  std::vector<std::vector<std::string>> drows;
  if (const auto& dl = at(rep, "dead_letters"); dl.is_array())
    for (const auto& v : dl.get_array()) {
      const auto& o = v.get_object();
      drows.push_back({esc(scalar(at(o, "node"))), esc(scalar(at(o, "reason"))), fmt_num(at(o, "count"))});
    }
  h += table({"node", "reason", "count"}, drows);

  h += "<h2>Rate limits and LLM</h2>\n";
  std::vector<std::vector<std::string>> rrows;
  if (const auto& rl = at(rep, "rate_limits"); rl.is_object())
    for (const auto& [name, v] : rl.get_object()) {
      const auto& o = v.get_object();
      rrows.push_back({esc(std::string(name)), fmt_num(at(o, "waits")), fmt_num(at(o, "waited_ms"))});
    }
  h += table({"rate limit", "waits", "waited ms"}, rrows);
  if (const auto& l = at(rep, "llm"); l.is_object()) {
    const auto& o = l.get_object();
    h += table({"LLM calls", "cache hits", "cache misses", "tokens", "cost"},
               {{fmt_num(at(o, "calls")), fmt_num(at(o, "cache_hits")), fmt_num(at(o, "cache_misses")),
                 fmt_num(at(o, "tokens")), fmt_num(at(o, "cost"))}});
  }

  h += "<h2>Last 7 runs</h2>\n";
  std::vector<std::vector<std::string>> trows;
  const auto& trend = at(rep, "trend");
  if (trend.is_array())
    for (const auto& v : trend.get_array()) {
      const auto& o = v.get_object();
      std::string st = scalar(at(o, "status"));
      trows.push_back({esc(scalar(at(o, "started_at"))), "<span class=\"" + esc(st) + "\">" + esc(st) + "</span>",
                       fmt_num(at(o, "duration_ms")), fmt_num(at(o, "inserted")), fmt_num(at(o, "updated")),
                       fmt_num(at(o, "unchanged")), fmt_num(at(o, "dead_letters")), fmt_num(at(o, "llm_calls")),
                       fmt_num(at(o, "cache_hits")), fmt_num(at(o, "tokens")), fmt_num(at(o, "cost"))});
    }
  h += table({"started", "status", "ms", "new", "updated", "unchanged", "dead letters", "LLM calls", "cache hits",
              "tokens", "cost"},
             trows);
  h += trend_svg(trend.is_array() ? trend.get_array() : json::array{});
  h += "\n</body></html>\n";
  return h;
}

std::string format_from_extension(const std::string& path) {
  const auto ext = std::filesystem::path(path).extension().string();
  return ext == ".json" ? "json" : ext == ".csv" ? "csv" : "html";
}

int write_report(const std::string& store_url, const std::string& format, const std::string& out_path,
                 const std::string& dot_text) {
  if (format != "json" && format != "csv" && format != "html") {
    spdlog::error("report: unknown format '{}' (use json, csv or html)", format);
    return 2;
  }
  try {
    auto st = store::Store::open(store_url);
    auto rep = collect_report(*st);
    std::string text = format == "json" ? render_json(rep) : format == "csv" ? render_csv(rep) : render_html(rep, dot_text);
    namespace fs = std::filesystem;
    if (auto parent = fs::path(out_path).parent_path(); !parent.empty()) fs::create_directories(parent);
    const std::string tmp = out_path + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc | std::ios::binary);
      f << text;
      if (!f.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    fs::rename(tmp, out_path);
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("report: {}", e.what());
    return 1;
  }
}

}  // namespace flowrun::report
