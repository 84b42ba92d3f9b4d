// The data-quality, last-runs and pipeline-graph sections of the HTML report.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "nodes/report/report.hpp"
#include "nodes/report/report_format.hpp"
#include "nodes/report/report_html.hpp"

namespace flowrun::report {

namespace json = boost::json;

namespace {

double d(const json::value& v) { return opt_num(v).value_or(0); }
const json::array& list(const json::value& v) {
  static const json::array none;
  return v.is_array() ? v.get_array() : none;
}
Cell n_cell(const json::value& v) { return num_cell(opt_num(v), count(d(v))); }

std::string examples_html(const json::value& examples) {
  std::string s;
  for (const auto& e : list(examples)) {
    const std::string text = e.is_object() ? str(at(e, "id")) + ": " + str(at(e, "message")) : str(e);
    s += "<li><code>" + esc(text) + "</code></li>";
  }
  return s.empty() ? "" : "<ul class=\"examples\">" + s + "</ul>";
}

std::string dead_letters_html(const json::value& q, const json::value& h) {
  std::string s = "<h3 id=\"dead-letters\">Dead letters</h3><p>" + count(d(at(h, "dead_letters"))) +
                  " records were rejected in this period";
  const double stored = d(at(q, "dead_letters_stored"));
  if (stored != d(at(h, "dead_letters")))
    s += " (" + count(stored) + " of them are in the store's dead_letters table)";
  s += ". Grouped by the node that rejected them and the field and rule that failed, with up to three "
       "records (id: full reason) each.</p>";
  std::vector<std::vector<Cell>> rows;
  for (const auto& g : list(at(q, "dead_letters")))
    rows.push_back({text_cell(str(at(g, "node"))), text_cell(str(at(g, "reason"))), n_cell(at(g, "count")),
                    {examples_html(at(g, "examples")), "", false}});
  return s + html_table("dead-letters-table", {{"node", "Node"}, {"reason", "Reason"}, {"count", "Count"}, {"examples", "Examples"}},
                        rows, true, false);
}

std::string warnings_html(const json::value& q) {
  std::vector<std::vector<Cell>> rows;
  for (const auto& g : list(at(q, "validator_warnings")))
    rows.push_back({text_cell(str(at(g, "field"))), text_cell(str(at(g, "rule"))), n_cell(at(g, "count")),
                    {examples_html(at(g, "examples")), "", false}});
  std::string s = "<h3 id=\"validator-warnings\">Validator warnings</h3><p>Rules that failed as warnings on stored "
                  "properties (the records were kept).</p>" +
                  html_table("warnings-table", {{"field", "Field"}, {"rule", "Rule"}, {"count", "Count"}, {"examples", "Examples"}},
                             rows, true, false);
  s += "<h3 id=\"run-warnings\">Run warnings</h3>";
  std::string items;
  for (const auto& w : list(at(q, "run_warnings"))) items += "<li>" + esc(str(w)) + "</li>";
  return s + (items.empty() ? "<p class=\"none\">none</p>" : "<ul class=\"warn\">" + items + "</ul>");
}

std::string llm_and_limits_html(const json::value& q) {
  const auto& l = at(q, "llm");
  const double calls = d(at(l, "calls")), hits = d(at(l, "cache_hits"));
  std::string s = "<h3 id=\"llm\">LLM enrichment</h3><dl class=\"facts\">";
  auto fact = [&](const std::string& k, const std::string& v) { s += "<div><dt>" + esc(k) + "</dt><dd>" + esc(v) + "</dd></div>"; };
  fact("Calls to the model", count(calls));
  fact("Answered from the cache", count(hits) + (calls + hits > 0 ? " (" + percent(hits / (calls + hits) * 100) + ")" : ""));
  fact("Tokens", count(d(at(l, "tokens"))));
  fact("Cost", "$" + decimal(d(at(l, "cost")), 2));
  fact("Left pending", count(d(at(l, "pending"))) + " this period, " + count(d(at(l, "pending_now"))) + " waiting now");
  fact("Invalid replies", count(d(at(l, "invalid_replies"))));
  s += "</dl><h3 id=\"rate-limits\">Rate-limit waits</h3>";
  std::vector<std::vector<Cell>> rows;
  for (const auto& r : list(at(q, "rate_limits")))
    rows.push_back({text_cell(str(at(r, "name"))), n_cell(at(r, "waits")),
                    num_cell(opt_num(at(r, "waited_ms")), duration(d(at(r, "waited_ms"))))});
  return s + html_table("rate-limits-table", {{"name", "Rate limit"}, {"waits", "Waits"}, {"waited", "Time waited"}}, rows,
                        true, false);
}

std::string nodes_html(const json::value& q) {
  std::vector<std::vector<Cell>> rows;
  for (const auto& n : list(at(q, "nodes")))
    rows.push_back({text_cell(str(at(n, "id"))), text_cell(str(at(n, "type"))), n_cell(at(n, "in")), n_cell(at(n, "out")),
                    n_cell(at(n, "errors")), n_cell(at(n, "filtered")),
                    num_cell(opt_num(at(n, "p50_ms")), decimal(opt_num(at(n, "p50_ms")), 1)),
                    num_cell(opt_num(at(n, "p95_ms")), decimal(opt_num(at(n, "p95_ms")), 1))});
  return "<h3 id=\"nodes\">Nodes of the latest run</h3>" +
         html_table("nodes-table", {{"id", "Node"}, {"type", "Type"}, {"in", "In"}, {"out", "Out"}, {"errors", "Errors"},
                                    {"filtered", "Filtered"}, {"p50", "p50 ms"}, {"p95", "p95 ms"}},
                    rows, false, false);
}

}  // namespace

std::string quality_html(const json::object& rep) {
  const auto& q = rep.at("quality");
  return "<section id=\"data-quality\"><h2>Data quality</h2>" + dead_letters_html(q, rep.at("headline")) +
         warnings_html(q) + llm_and_limits_html(q) + nodes_html(q) + "</section>\n";
}

std::string runs_html(const json::object& rep) {
  const std::string tz = str(at(rep.at("period"), "timezone"));
  std::vector<std::vector<Cell>> rows;
  for (const auto& r : list(rep.at("runs"))) {
    const std::string st = str(at(r, "status")), started = str(at(r, "started_at"));
    rows.push_back({{"<time datetime=\"" + esc(started) + "\">" + esc(local_time(started, tz)) + "</time>", started, false},
                    {"<span class=\"status " + esc(st) + "\">" + esc(st) + "</span>", st, false},
                    num_cell(opt_num(at(r, "duration_ms")), duration(d(at(r, "duration_ms")))),
                    n_cell(at(r, "source_records")), n_cell(at(r, "new")), n_cell(at(r, "new_listings")),
                    n_cell(at(r, "price_changes")), n_cell(at(r, "dead_letters")), n_cell(at(r, "llm_calls")),
                    n_cell(at(r, "llm_tokens"))});
  }
  return "<section id=\"runs\"><h2>Last runs</h2><p>New and price changes count the same way as the headline; a "
         "run's row for the report's own run matches it.</p>" +
         html_table("runs-table", {{"started", "Started"}, {"status", "Status"}, {"took", "Took"}, {"records", "Records"},
                                   {"new", "New"}, {"new_listings", "New listings"}, {"price_changes", "Price changes"},
                                   {"dead", "Rejected"}, {"llm", "LLM calls"}, {"tokens", "Tokens"}},
                    rows, true, false) +
         "</section>\n";
}

std::string graph_html(const json::object& rep, const std::string& dot_text) {
  std::string s = "<section id=\"graph\"><h2>Pipeline</h2><details class=\"graph\"><summary>The run's graph and the "
                  "records on each edge</summary>";
  if (std::string svg = dot_to_svg(dot_text); !svg.empty()) s += "<div class=\"scroll\">" + svg + "</div>";
  else if (!dot_text.empty()) s += "<pre>" + esc(dot_text) + "</pre>";
  else s += "<p class=\"none\">graph not available</p>";
  std::vector<std::vector<Cell>> rows;
  for (const auto& e : list(at(rep.at("quality"), "edges"))) {
    const bool control = at(e, "control").is_bool() && at(e, "control").as_bool();
    const std::string port = str(at(e, "port"));
    rows.push_back({text_cell(str(at(e, "from")) + (port.empty() || port == "out" ? "" : "." + port)),
                    text_cell(str(at(e, "to"))), text_cell(control ? "after (control)" : "data"),
                    control ? text_cell("") : n_cell(at(e, "count"))});
  }
  s += html_table("edges-table", {{"from", "From"}, {"to", "To"}, {"kind", "Edge"}, {"records", "Records"}}, rows, false, false);
  return s + "</details></section>\n";
}

std::string dot_to_svg(const std::string& dot_text) {
  if (dot_text.empty()) return "";
  char in_path[] = "/tmp/flowrun-report-XXXXXX";
  const int fd = mkstemp(in_path);
  if (fd < 0) return "";
  ::close(fd);
  { std::ofstream(in_path) << dot_text; }
  std::string svg;
  const std::string cmd = "dot -Tsvg '" + std::string(in_path) + "' 2>/dev/null";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[8192];
    std::size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) svg.append(buf, got);
    if (pclose(p) != 0) svg.clear();
  }
  std::filesystem::remove(in_path);
  // Inline SVG must not carry its own XML prolog or DOCTYPE.
  auto pos = svg.find("<svg");
  return pos == std::string::npos ? "" : svg.substr(pos);
}

}  // namespace flowrun::report
