#include "nodes/maricopa/assessor_body.hpp"

#include <cctype>
#include <cmath>

namespace flowrun::maricopa {

namespace json = boost::json;

Body classify_body(long status, const std::string& body) {
  auto b = body.find_first_not_of(" \t\r\n");
  if (status == 404 || b == std::string::npos) return {BodyKind::absent, {}};
  if (body[b] == '<') return {BodyKind::html, {}};
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return {BodyKind::garbage, {}};
  if (v.is_null() || (v.is_array() && v.as_array().empty())) return {BodyKind::absent, {}};
  return {BodyKind::data, std::move(v)};
}

long long read_total(const json::object& page) {
  auto* t = page.if_contains("TOTAL");
  if (!t) return -1;
  if (t->is_int64()) return t->as_int64();
  if (t->is_uint64()) return static_cast<long long>(t->as_uint64());
  if (t->is_double()) {
    const double d = t->as_double();
    return std::isfinite(d) && d >= 0 && d < 9e15 ? static_cast<long long>(d) : -1;
  }
  if (t->is_string()) {
    try {
      return std::stoll(std::string(t->as_string()));
    } catch (...) {
      return -1;
    }
  }
  return -1;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace flowrun::maricopa
