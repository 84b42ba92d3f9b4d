// Headless Chromium for the report tests: the DOM after a test script ran, and screenshots.
#pragma once
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/report/report_test_util.hpp"

namespace reporttest {

inline bool chromium_available() { return std::system("command -v chromium >/dev/null 2>&1") == 0; }

inline int chromium(const std::string& args, const fs::path& work, const fs::path& log) {
  const std::string cmd = "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                          "--disable-background-networking --disable-component-update --disable-sync "
                          "--hide-scrollbars --user-data-dir=" + (work / "profile").string() + " " + args + " 2>" +
                          log.string();
  return std::system(cmd.c_str());
}

// Headless Chromium's window is never narrower than 500 px, so a phone is a 390 px iframe in a
// page of our own that copies the probe's result out (file pages may read each other only with
// --allow-file-access-from-files).
inline fs::path phone_frame(const fs::path& page, int width, const fs::path& work) {
  const auto frame = work / ("frame-" + page.filename().string());
  std::ofstream(frame) << "<!DOCTYPE html><html><body style=\"margin:0\"><iframe id=\"f\" src=\"file://" + page.string() +
                              "\" style=\"border:0;width:" + std::to_string(width) + "px;height:2400px\"></iframe>"
                              "<script>document.getElementById('f').addEventListener('load',function(){"
                              "var p=this.contentDocument.getElementById('probe');var o=document.createElement('pre');"
                              "o.id='probe';o.textContent=p?p.textContent:'';document.body.appendChild(o);});</script>"
                              "</body></html>";
  return frame;
}

// The page's DOM after `script` ran at the end of its body, in a viewport `width` pixels wide.
inline std::string dom_after(const fs::path& html, const std::string& script, int width, const fs::path& work) {
  std::string page = slurp(html);
  const auto end = page.rfind("</body>");
  page.insert(end == std::string::npos ? page.size() : end, "<script>" + script + "</script>");
  const auto probe = work / ("probe-" + std::to_string(width) + ".html");
  std::ofstream(probe) << page;
  const auto open = width < 500 ? phone_frame(probe, width, work) : probe;
  const auto out = work / ("dom-" + std::to_string(width) + ".html");
  chromium("--allow-file-access-from-files --window-size=" + std::to_string(std::max(width, 500)) +
               ",900 --virtual-time-budget=5000 --dump-dom file://" + open.string() + " >" + out.string(),
           work, work / "chromium-dom.log");
  return slurp(out);
}

inline bool screenshot(const fs::path& html, const fs::path& png, int width, int height, const fs::path& work) {
  fs::create_directories(png.parent_path());
  const auto open = width < 500 ? phone_frame(html, width, work) : html;
  chromium("--allow-file-access-from-files --window-size=" + std::to_string(std::max(width, 500)) + "," +
               std::to_string(height) + " --screenshot=" + png.string() + " file://" + open.string(),
           work, work / "chromium-shot.log");
  return fs::exists(png) && fs::file_size(png) > 1000;
}

// Inside <pre id="probe">...</pre> of a dumped DOM, with the three entities a text node gets.
inline std::string probe_result(const std::string& dom) {
  const std::string open = "<pre id=\"probe\">";
  auto a = dom.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  std::string s = dom.substr(a, dom.find("</pre>", a) - a), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 5, "&amp;") == 0) out += '&', i += 4;
    else if (s.compare(i, 4, "&lt;") == 0) out += '<', i += 3;
    else if (s.compare(i, 4, "&gt;") == 0) out += '>', i += 3;
    else out += s[i];
  }
  return out;
}

// Measures what the tests assert: sections in order, the graph folded, each chart's axes, titles
// and legend, the listings sorted by price after one and two clicks, and horizontal overflow.
inline const char* kProbeScript = R"JS(
(function(){
 var r={};
 r.sections=[].map.call(document.querySelectorAll('main > section'),function(s){return s.id;});
 r.graphFolded=!!document.querySelector('#graph details') && !document.querySelector('#graph details[open]');
 r.charts=[].map.call(document.querySelectorAll('figure.chart'),function(f){
  var t=function(sel){var e=f.querySelector(sel);return e?e.textContent:'';};
  return {id:f.id,xAxis:!!f.querySelector('g.axis-x line'),yAxis:!!f.querySelector('g.axis-y line'),
   xTitle:t('g.axis-x .axis-title'),yTitle:t('g.axis-y .axis-title'),
   yTicks:[].map.call(f.querySelectorAll('g.axis-y text.tick'),function(e){return e.textContent;}),
   legend:[].map.call(f.querySelectorAll('g.legend text'),function(e){return e.textContent;}),
   marks:f.querySelectorAll('rect.bar, circle.point').length,
   width:f.querySelector('svg').getBoundingClientRect().width};});
 var t=document.getElementById('listings-table');
 var col=function(key){var h=t.tHead.rows[0].cells,i=-1;for(var k=0;k<h.length;k++)if(h[k].getAttribute('data-key')===key)i=k;
  return [].map.call(t.tBodies[0].rows,function(row){return row.cells[i].getAttribute('data-sort');});};
 r.rows=t.tBodies[0].rows.length;
 var th=t.tHead.querySelector('th[data-key=price]');
 th.click();r.priceFirstClick=col('price');r.ariaFirst=th.getAttribute('aria-sort');
 th.click();r.priceSecondClick=col('price');r.ariaSecond=th.getAttribute('aria-sort');
 var sel=document.querySelector('select.sort[data-table=listings-table]');
 sel.value='cap:desc';sel.dispatchEvent(new Event('change'));r.capBySelect=col('cap');
 r.scrollWidth=document.documentElement.scrollWidth;r.viewport=window.innerWidth;
 r.money=[].map.call(document.querySelectorAll('#listings-table td[data-label=Price]'),function(e){return e.textContent;}).slice(0,5);
 r.times=[].map.call(document.querySelectorAll('#headline time'),function(e){return e.textContent;});
 r.text=document.body.innerText.length;
 var pre=document.createElement('pre');pre.id='probe';pre.textContent=JSON.stringify(r);document.body.appendChild(pre);
})();
)JS";

}  // namespace reporttest
