// The HTML report: one self-contained page (inline CSS, inline SVG, a few lines of inline script
// for sorting), readable on a phone. Sections: headline, new listings and price changes, market
// by ZIP, data quality, last runs, and the pipeline graph last, folded.
#include <cmath>
#include <map>

#include "engine/json_text.hpp"
#include "nodes/report/report.hpp"
#include "nodes/report/report_charts.hpp"
#include "nodes/report/report_format.hpp"
#include "nodes/report/report_html.hpp"

namespace flowrun::report {

namespace json = boost::json;

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
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

const json::value& at(const json::value& o, const char* k) {
  static const json::value null_v;
  if (!o.is_object()) return null_v;
  auto* v = o.get_object().if_contains(k);
  return v ? *v : null_v;
}
std::optional<double> opt_num(const json::value& v) {
  return v.is_number() ? std::optional<double>(v.to_number<double>()) : std::nullopt;
}
std::string str(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_number()) return format_number(v.to_number<double>());
  return "";
}

Cell text_cell(const std::string& text) { return {esc(text), text, false}; }
Cell num_cell(std::optional<double> v, const std::string& shown) {
  return {esc(shown), v ? format_number(*v) : "", true};
}

std::string html_table(const std::string& id, const std::vector<Column>& cols,
                       const std::vector<std::vector<Cell>>& rows, bool cards, bool sortable) {
  std::string t;
  if (sortable && !rows.empty()) {
    t += "<label class=\"sort-by\">Sort by <select class=\"sort\" data-table=\"" + id + "\"><option value=\"\">as listed</option>";
    for (const auto& c : cols)
      t += "<option value=\"" + c.key + ":desc\">" + esc(c.label) + " (high to low)</option><option value=\"" + c.key +
           ":asc\">" + esc(c.label) + " (low to high)</option>";
    t += "</select></label>";
  }
  t += "<div class=\"scroll\"><table id=\"" + id + "\" class=\"" + std::string(cards ? "cards" : "plain") +
       (sortable ? " sortable" : "") + "\"><thead><tr>";
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const bool numeric = !rows.empty() && rows[0].size() > i && rows[0][i].numeric;
    t += "<th scope=\"col\" data-key=\"" + cols[i].key + "\" data-type=\"" + (numeric ? "num" : "text") +
         "\" aria-sort=\"none\">" + esc(cols[i].label) + "</th>";
  }
  t += "</tr></thead><tbody>";
  for (const auto& r : rows) {
    t += "<tr>";
    for (std::size_t i = 0; i < r.size() && i < cols.size(); ++i)
      t += "<td data-label=\"" + esc(cols[i].label) + "\" data-sort=\"" + esc(r[i].sort) + "\"" +
           (r[i].numeric ? " class=\"num\"" : "") + ">" + r[i].html + "</td>";
    t += "</tr>";
  }
  if (rows.empty())
    t += "<tr><td colspan=\"" + std::to_string(cols.size()) + "\" class=\"none\">none</td></tr>";
  return t + "</tbody></table></div>";
}

namespace {

const char* kStyle = R"CSS(
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;color:#1f2328;margin:0;background:#fff}
main{max-width:1180px;margin:0 auto;padding:12px 14px 40px}
h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.25em;margin:1.6em 0 .5em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
h3{font-size:1.05em;margin:1.2em 0 .4em}
p,li,dd,figcaption{overflow-wrap:anywhere}td{overflow-wrap:break-word}
a{color:#0969da}
.status{display:inline-block;font-weight:700;padding:.1em .6em;border-radius:1em;color:#fff;background:#57606a}
.status.ok{background:#1a7f37}.status.failed,.status.crashed{background:#cf222e}.status.interrupted,.status.running{background:#9a6700}
.facts{display:flex;flex-wrap:wrap;gap:.2em 1.6em;margin:.6em 0}.facts div{min-width:9em}.facts dt{font-size:.8em;color:#57606a}.facts dd{margin:0;font-weight:600}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:1em 0}
.tile{display:block;border:1px solid #d0d7de;border-radius:8px;padding:.6em .8em;color:inherit;text-decoration:none}
.tile b{display:block;font-size:1.7em;line-height:1.1}.tile small{color:#57606a}
.tile.bad b{color:#cf222e}
.failure{border-left:4px solid #cf222e;background:#fff5f5;padding:.5em .8em}
.warn{border-left:4px solid #9a6700;background:#fff8e5;padding:.5em .8em}
.scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:.9em}
th,td{border-bottom:1px solid #d8dee4;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa;white-space:nowrap}td.num,th[data-type=num]{text-align:right}td.num{white-space:nowrap}
table.sortable th{cursor:pointer}th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
.none{color:#6e7781;font-style:italic}
.badge{display:inline-block;font-size:.8em;padding:0 .5em;border-radius:.8em;background:#ddf4ff;color:#0550ae;white-space:nowrap}
.badge.down{background:#dafbe1;color:#116329}.badge.up{background:#ffebe9;color:#a40e26}
.rec-buy{color:#116329;font-weight:700}.rec-avoid{color:#a40e26;font-weight:700}.rec-hold{color:#9a6700;font-weight:700}
.features{color:#57606a;font-size:.9em}.addr{min-width:15em}
.sort-by{display:block;margin:.3em 0;font-size:.9em}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:20px}
figure.chart{margin:0}figure.chart svg{width:100%;height:auto;display:block}figcaption{font-weight:600;margin:.3em 0}
details.graph summary{cursor:pointer;font-weight:600}.graph svg{max-width:100%;height:auto}
pre{background:#f6f8fa;padding:.8em;overflow:auto;max-width:100%}
footer{color:#6e7781;font-size:.85em;margin-top:2em}
@media (max-width:900px){
 table.cards thead{display:none}
 table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
 table.cards tr{border:1px solid #d0d7de;border-radius:8px;margin:0 0 10px;padding:.3em .6em}
 table.cards td{display:flex;justify-content:space-between;gap:1em;border:0;padding:.15em 0;text-align:right;overflow-wrap:anywhere;white-space:normal}
 table.cards td::before{content:attr(data-label);font-weight:600;color:#57606a;text-align:left;flex-shrink:0}
 table.cards td:empty{display:none}
 .addr{min-width:0;text-align:right}
 table.cards td.none::before{content:""}
}
)CSS";

// Sorting: click a header (again to reverse) or use the select; empty cells always sort last.
const char* kScript = R"JS(
(function(){
function sortTable(t,key,dir){
 var head=t.tHead.rows[0].cells,idx=-1;
 for(var i=0;i<head.length;i++)if(head[i].getAttribute('data-key')===key)idx=i;
 if(idx<0)return;
 var num=head[idx].getAttribute('data-type')==='num',tb=t.tBodies[0],rows=[].slice.call(tb.rows);
 rows.sort(function(a,b){
  var x=a.cells[idx].getAttribute('data-sort'),y=b.cells[idx].getAttribute('data-sort');
  if(x===''||y==='')return (x==='')-(y==='');
  var c=num?parseFloat(x)-parseFloat(y):x.localeCompare(y);
  return dir==='asc'?c:-c;});
 rows.forEach(function(r){tb.appendChild(r);});
 for(var j=0;j<head.length;j++)head[j].setAttribute('aria-sort',j===idx?(dir==='asc'?'ascending':'descending'):'none');
 var sel=document.querySelector('select.sort[data-table="'+t.id+'"]');if(sel)sel.value=key+':'+dir;
}
[].forEach.call(document.querySelectorAll('table.sortable'),function(t){
 [].forEach.call(t.tHead.rows[0].cells,function(th){
  th.tabIndex=0;
  var go=function(){var cur=th.getAttribute('aria-sort'),num=th.getAttribute('data-type')==='num';
   var dir=cur==='none'?(num?'desc':'asc'):(cur==='descending'?'asc':'desc');sortTable(t,th.getAttribute('data-key'),dir);};
  th.addEventListener('click',go);th.addEventListener('keydown',function(e){if(e.key==='Enter')go();});});});
[].forEach.call(document.querySelectorAll('select.sort'),function(s){
 s.addEventListener('change',function(){if(!s.value)return;var p=s.value.split(':');sortTable(document.getElementById(s.getAttribute('data-table')),p[0],p[1]);});});
window.flowrunSort=sortTable;
})();
)JS";

// Listing rows shown in HTML; JSON and CSV have every row.
constexpr std::size_t kHtmlRows = 1000;

std::string time_tag(const std::string& iso, const std::string& tz) {
  if (iso.empty()) return "<span class=\"none\">not finished</span>";
  return "<time datetime=\"" + esc(iso) + "\">" + esc(local_time(iso, tz)) + "</time>";
}

std::string tile(const std::string& href, double n, const std::string& label, const std::string& detail, bool bad = false) {
  return "<a class=\"tile" + std::string(bad ? " bad" : "") + "\" href=\"" + href + "\"><b>" + count(n) + "</b>" +
         esc(label) + (detail.empty() ? "" : "<br><small>" + esc(detail) + "</small>") + "</a>";
}

double d(const json::value& v) { return opt_num(v).value_or(0); }

// single_family -> single family
std::string readable(std::string code) {
  for (auto& c : code)
    if (c == '_') c = ' ';
  return code;
}

std::string headline_html(const json::object& rep) {
  const auto& run = rep.at("run");
  const auto& h = rep.at("headline");
  const auto& period = rep.at("period");
  const std::string tz = str(at(period, "timezone"));
  const std::string status = str(at(run, "status"));
  std::string s = "<section id=\"headline\"><p><span class=\"status " + esc(status) + "\">" + esc(status) + "</span> ";
  s += d(at(period, "days")) > 1 ? "Weekly view: " + count(d(at(h, "runs"))) + " runs, " + count(d(at(h, "failed_runs"))) +
                                       " not ok; the latest run is shown as its status."
                                 : "Run <code>" + esc(str(at(run, "run_id"))) + "</code>";
  s += "</p><dl class=\"facts\"><div><dt>Started</dt><dd>" + time_tag(str(at(run, "started_at")), tz) +
       "</dd></div><div><dt>Finished</dt><dd>" + time_tag(str(at(run, "finished_at")), tz) +
       "</dd></div><div><dt>Took</dt><dd>" + esc(duration(d(at(run, "duration_ms")))) + "</dd></div>";
  if (d(at(period, "days")) > 1)
    s += "<div><dt>Period</dt><dd>" + esc(local_date(str(at(period, "from")), tz)) + " to " +
         esc(local_date(str(at(period, "to")), tz)) + "</dd></div>";
  s += "<div><dt>Times in</dt><dd>" + esc(tz) + "</dd></div></dl>";
  if (auto f = str(at(run, "failure")); !f.empty()) s += "<p class=\"failure\">Failed: " + esc(f) + "</p>";
  s += "<div class=\"tiles\">" +
       tile("#listings", d(at(h, "new")), " new",
            count(d(at(h, "new_listings"))) + " listings, " + count(d(at(h, "new_parcels"))) + " county parcels") +
       tile("#listings", d(at(h, "changed")), " changed", count(d(at(h, "price_changes"))) + " with a new price") +
       tile("#market", d(at(h, "unchanged")), " unchanged", "of " + count(d(at(h, "seen"))) + " seen") +
       tile("#data-quality", d(at(h, "dead_letters")), " rejected", "dead letters: see data quality",
            d(at(h, "dead_letters")) > 0) +
       "</div>";
  std::string sources;
  for (const auto& src : at(h, "sources").as_array())
    sources += (sources.empty() ? "" : ", ") + esc(str(at(src, "source"))) + " " + count(d(at(src, "records")));
  s += "<p>Records collected: " + (sources.empty() ? std::string("none") : sources) + " (" +
       count(d(at(h, "source_records"))) + " in all).";
  if (const auto& ws = at(run, "warnings"); ws.is_array() && !ws.as_array().empty())
    s += " <a href=\"#run-warnings\">" + count(static_cast<double>(ws.as_array().size())) + " warnings</a>.";
  return s + "</p></section>\n";
}

Cell change_cell(const json::value& row) {
  const auto kind = str(at(row, "kind"));
  if (kind == "new") return {"<span class=\"badge\">new</span>", "", true};
  const auto pct = opt_num(at(row, "price_change_pct"));
  const auto amount = opt_num(at(row, "price_change"));
  const bool down = pct && *pct < 0;
  return {"<span class=\"badge " + std::string(down ? "down" : "up") + "\">" + esc(percent(pct, true)) + "</span> " +
              esc(amount ? (*amount > 0 ? "+" : "") + money(amount) : ""),
          pct ? format_number(*pct) : "", true};
}

std::string listings_html(const json::object& rep, std::size_t limit) {
  const auto& rows = rep.at("listings").as_array();
  const auto& h = rep.at("headline");
  std::string s = "<section id=\"listings\"><h2>New listings and price changes</h2><p>" +
                  count(d(at(h, "new_listings"))) + " new listings and " + count(d(at(h, "price_changes"))) +
                  " price changes. Price cuts come first, then new listings by the LLM's cap rate; sort by any column.";
  if (rows.size() > limit)
    s += " The first " + count(static_cast<double>(limit)) + " of " + count(static_cast<double>(rows.size())) +
         " are shown; the JSON and CSV reports have all of them.";
  s += "</p>";
  const std::vector<Column> cols = {{"address", "Address"}, {"zip", "ZIP"}, {"price", "Price"},
                                    {"change", "Change"}, {"ppsf", "$/sqft"}, {"beds", "Beds"}, {"baths", "Baths"},
                                    {"sqft", "Sqft"}, {"year", "Year"}, {"county", "County value"},
                                    {"ratio", "Price / county"}, {"cap", "Cap rate"}, {"rent", "Rent / month"},
                                    {"rec", "LLM says"}};  // type and key features: under the address
  std::vector<std::vector<Cell>> out;
  for (std::size_t i = 0; i < rows.size() && i < limit; ++i) {
    const auto& r = rows[i];
    const std::string addr = str(at(r, "address")), url = str(at(r, "url"));
    Cell address = text_cell(addr);
    if (!url.empty()) address.html = "<a href=\"" + esc(url) + "\" rel=\"noopener\">" + esc(addr) + "</a>";
    // The type and the LLM's key features under the address keep the table narrow.
    std::string details = readable(str(at(r, "property_type")));
    for (const auto& f : at(r, "key_features").is_array() ? at(r, "key_features").as_array() : json::array{})
      details += (details.empty() ? "" : " · ") + str(f);
    if (!details.empty()) address.html += "<div class=\"features\">" + esc(details) + "</div>";
    address.html = "<div class=\"addr\">" + address.html + "</div>";
    const std::string rec = str(at(r, "recommendation"));
    Cell recommendation{rec.empty() ? "<span class=\"none\">not enriched</span>"
                                    : "<span class=\"rec-" + esc(rec) + "\">" + esc(rec) + "</span>",
                        rec, false};
    const auto ratio = opt_num(at(r, "price_to_county_value"));
    out.push_back({address, text_cell(str(at(r, "zip"))),
                   num_cell(opt_num(at(r, "price")), money(opt_num(at(r, "price")))), change_cell(r),
                   num_cell(opt_num(at(r, "price_per_sqft")), money(opt_num(at(r, "price_per_sqft")))),
                   num_cell(opt_num(at(r, "beds")), decimal(opt_num(at(r, "beds")), 0)),
                   num_cell(opt_num(at(r, "baths")), decimal(opt_num(at(r, "baths")), 2)),
                   num_cell(opt_num(at(r, "sqft")), opt_num(at(r, "sqft")) ? count(*opt_num(at(r, "sqft"))) : ""),
                   num_cell(opt_num(at(r, "year_built")), decimal(opt_num(at(r, "year_built")), 0)),
                   num_cell(opt_num(at(r, "county_value")), money(opt_num(at(r, "county_value")))),
                   num_cell(ratio, ratio ? decimal(*ratio, 2) + "×" : ""),
                   num_cell(opt_num(at(r, "cap_rate")), percent(opt_num(at(r, "cap_rate")))),
                   num_cell(opt_num(at(r, "rental_estimate")), money(opt_num(at(r, "rental_estimate")))),
                   recommendation});
  }
  return s + html_table("listings-table", cols, out, true, true) + "</section>\n";
}

std::string market_html(const json::object& rep) {
  const auto& m = rep.at("market");
  const std::string tz = str(at(rep.at("period"), "timezone"));
  std::string s = "<section id=\"market\"><h2>Market by ZIP</h2><p>Listings on the market in the latest run, "
                  "with their median asking price and price per square foot";
  auto cmp = [&](const char* k, const char* label) {
    const auto when = str(at(m, k));
    return when.empty() ? std::string(" (no run ") + label + " ago to compare with)"
                        : std::string(", compared with the run of ") + esc(local_date(when, tz)) + " (" + label + ")";
  };
  s += cmp("compared_with_7d", "7 days") + cmp("compared_with_30d", "30 days") + ".</p>";
  const std::vector<Column> cols = {{"zip", "ZIP"}, {"count", "Listings"}, {"price", "Median price"},
                                    {"p7", "Price vs 7 days"}, {"p30", "Price vs 30 days"}, {"ppsf", "Median $/sqft"},
                                    {"s7", "$/sqft vs 7 days"}, {"s30", "$/sqft vs 30 days"}};
  std::vector<std::vector<Cell>> rows;
  Chart price{"chart-price-by-zip", "Median asking price by ZIP", "ZIP code", "median price (USD)", {}, {}, short_money};
  Chart ppsf{"chart-ppsf-by-zip", "Median price per square foot by ZIP", "ZIP code", "median price per sqft (USD)", {}, {},
             [](double v) { return money(v); }};
  price.series = {{"30 days ago", {}}, {"7 days ago", {}}, {"latest run", {}}};
  ppsf.series = price.series;
  for (const auto& z : at(m, "zips").as_array()) {
    auto pct = [&](const char* k) { return num_cell(opt_num(at(z, k)), percent(opt_num(at(z, k)), true)); };
    rows.push_back({text_cell(str(at(z, "zip"))), num_cell(opt_num(at(z, "count")), count(d(at(z, "count")))),
                    num_cell(opt_num(at(z, "median_price")), money(opt_num(at(z, "median_price")))),
                    pct("median_price_change_7d_pct"), pct("median_price_change_30d_pct"),
                    num_cell(opt_num(at(z, "median_price_per_sqft")), money(opt_num(at(z, "median_price_per_sqft")))),
                    pct("median_price_per_sqft_change_7d_pct"), pct("median_price_per_sqft_change_30d_pct")});
    price.categories.push_back(str(at(z, "zip")));
    ppsf.categories.push_back(str(at(z, "zip")));
    int k = 0;
    for (const char* key : {"median_price_30d_ago", "median_price_7d_ago", "median_price"})
      price.series[static_cast<std::size_t>(k++)].values.push_back(opt_num(at(z, key)));
    k = 0;
    for (const char* key : {"median_price_per_sqft_30d_ago", "median_price_per_sqft_7d_ago", "median_price_per_sqft"})
      ppsf.series[static_cast<std::size_t>(k++)].values.push_back(opt_num(at(z, key)));
  }
  s += html_table("market-table", cols, rows, true, true);

  // The last 30 days: medians per ZIP (one line each) and the day's new listings and price changes.
  Chart trend{"chart-price-trend", "Median asking price per day, by ZIP", "day of the run", "median price (USD)", {}, {},
              short_money};
  Chart activity{"chart-activity", "New listings and price changes per day", "day of the run", "properties per day", {}, {},
                 [](double v) { return count(v); }};
  activity.series = {{"new listings", {}}, {"price changes", {}}};
  std::map<std::string, std::size_t> zip_index;
  for (const auto& z : price.categories) zip_index.emplace(z, trend.series.size()), trend.series.push_back({"ZIP " + z, {}});
  for (const auto& day : at(m, "days").as_array()) {
    trend.categories.push_back(short_day(str(at(day, "date"))));
    for (auto& sr : trend.series) sr.values.push_back(std::nullopt);
    for (const auto& [zip, v] : at(day, "median_price_by_zip").as_object())
      if (auto it = zip_index.find(std::string(zip)); it != zip_index.end()) trend.series[it->second].values.back() = opt_num(v);
    activity.categories.push_back(trend.categories.back());
    activity.series[0].values.push_back(opt_num(at(day, "new_listings")));
    activity.series[1].values.push_back(opt_num(at(day, "price_changes")));
  }
  if (trend.series.size() > 8) trend.series.resize(8);  // the legend stays readable; the table has every ZIP
  s += "<div class=\"charts\">" + bar_chart(price) + bar_chart(ppsf) + line_chart(trend) + bar_chart(activity) + "</div>";
  return s + "</section>\n";
}

}  // namespace

std::string render_html(const json::object& rep, const std::string& dot_text) {
  static const json::value none;
  const auto* runp = rep.if_contains("run");
  const auto& run = runp ? *runp : none;
  const bool weekly = d(at(rep.at("period"), "days")) > 1;
  std::string title = std::string(weekly ? "Weekly" : "Daily") + " report";
  if (run.is_object()) title += ": " + str(at(run, "pipeline"));
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>" + esc(title) +
                  "</title><style>" + kStyle + "</style></head><body><main>\n<h1>" + esc(title) + "</h1>\n";
  if (!run.is_object()) return h + "<p class=\"none\">No run recorded in this store yet.</p></main></body></html>\n";
  h += headline_html(rep);
  h += listings_html(rep, kHtmlRows);
  h += market_html(rep);
  h += quality_html(rep);
  h += runs_html(rep);
  h += graph_html(rep, dot_text);
  const std::string tz = str(at(rep.at("period"), "timezone"));
  h += "<footer>Generated " + time_tag(str(rep.at("generated_at")), tz) + " by flowrun from the " +
       esc(str(rep.at("store"))) + " store (" + count(d(rep.at("properties_in_store"))) +
       " properties). Money in US dollars; times in " + esc(tz) + ".</footer>\n";
  return h + "</main><script>" + kScript + "</script></body></html>\n";
}

}  // namespace flowrun::report
