#include "nodes/http/cassette.hpp"
#include "engine/json_text.hpp"
#include "nodes/http/base64.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace flowrun::http {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string cassette_key(const std::string& method, const std::string& url, const std::string& body) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
    h *= 1099511628211ULL;
  };
  mix(method);
  mix(url);
  mix(body);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string cassette_path(const std::string& dir, const std::string& method, const std::string& key) {
  std::string m;
  for (char c : method) m += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return (fs::path(dir) / (m + "-" + key + ".json")).string();
}

static bool valid_utf8(const std::string& s) {
  std::size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    for (int k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += len;
  }
  return true;
}

static void put_text(json::object& o, const char* name, const std::string& text) {
  if (valid_utf8(text)) o[name] = text;
  else o[std::string(name) + "_base64"] = base64_encode(text);
}

static std::string get_text(const json::object& o, const char* name) {
  if (auto* v = o.if_contains(name); v && v->is_string()) return std::string(v->as_string());
  if (auto* v = o.if_contains(std::string(name) + "_base64"); v && v->is_string())
    return base64_decode(std::string(v->as_string()));
  return "";
}

static json::array headers_json(const std::vector<std::pair<std::string, std::string>>& hs) {
  json::array a;
  for (const auto& [k, v] : hs) a.push_back(json::array{json::string(k), json::string(v)});
  return a;
}

static std::vector<std::pair<std::string, std::string>> headers_from(const json::value* v) {
  std::vector<std::pair<std::string, std::string>> hs;
  if (!v || !v->is_array()) return hs;
  for (const auto& item : v->as_array()) {
    if (!item.is_array() || item.as_array().size() != 2) continue;
    const auto& p = item.as_array();
    if (p[0].is_string() && p[1].is_string())
      hs.emplace_back(std::string(p[0].as_string()), std::string(p[1].as_string()));
  }
  return hs;
}

void save_exchange(const std::string& dir, const std::string& key, const Exchange& ex) {
  fs::create_directories(dir);
  json::object o;
  o["method"] = ex.method;
  o["url"] = ex.url;
  o["request_headers"] = headers_json(ex.request_headers);
  put_text(o, "request_body", ex.request_body);
  if (!ex.error.empty()) {
    o["error"] = ex.error;
  } else {
    o["status"] = ex.response.status;
    o["headers"] = headers_json(ex.response.headers);
    o["effective_url"] = ex.response.effective_url;
    o["elapsed_ms"] = ex.response.elapsed_ms;
    o["attempts"] = ex.response.attempts;
    put_text(o, "body", ex.response.body);
  }
  std::time_t t = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  o["recorded_at"] = when;

  std::string path = cassette_path(dir, ex.method, key);
  std::ostringstream tmp_name;
  tmp_name << path << ".tmp." << std::this_thread::get_id();
  {
    std::ofstream f(tmp_name.str(), std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write cassette file " + tmp_name.str());
    f << to_json_text(o) << "\n";
    if (!f.flush()) throw std::runtime_error("cannot write cassette file " + tmp_name.str());
  }
  fs::rename(tmp_name.str(), path);
}

std::optional<Exchange> load_exchange(const std::string& dir, const std::string& method,
                                      const std::string& key) {
  std::string path = cassette_path(dir, method, key);
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  json::value v;
  try {
    v = json::parse(ss.str());
  } catch (const std::exception& e) {
    throw std::runtime_error("cassette file " + path + " is not valid JSON: " + e.what());
  }
  if (!v.is_object()) throw std::runtime_error("cassette file " + path + " is not a JSON object");
  const auto& o = v.as_object();
  Exchange ex;
  auto str = [&](const char* k) {
    auto* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  ex.method = str("method");
  ex.url = str("url");
  ex.request_headers = headers_from(o.if_contains("request_headers"));
  ex.request_body = get_text(o, "request_body");
  ex.error = str("error");
  if (ex.error.empty()) {
    auto* st = o.if_contains("status");
    if (!st || !st->is_number())
      throw std::runtime_error("cassette file " + path + " has no numeric \"status\"");
    ex.response.status = static_cast<long>(st->to_number<double>());
    ex.response.headers = headers_from(o.if_contains("headers"));
    ex.response.effective_url = str("effective_url");
    ex.response.body = get_text(o, "body");
    if (auto* el = o.if_contains("elapsed_ms"); el && el->is_number())
      ex.response.elapsed_ms = el->to_number<double>();
  }
  return ex;
}

}  // namespace flowrun::http
