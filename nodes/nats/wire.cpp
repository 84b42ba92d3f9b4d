#include "nodes/nats/wire.hpp"

#include <cstdio>
#include <stdexcept>

#include "engine/json_text.hpp"

namespace flowrun::nats {

namespace json = boost::json;

std::string encode(const Record& r, const std::string& run_id) {
  std::string out;
  out.reserve(256);
  out += "{\"run_id\":";
  append_json_string(out, run_id);
  out += ",\"env\":{\"source\":";
  append_json_string(out, r.env.source);
  out += ",\"source_id\":";
  append_json_string(out, r.env.source_id);
  out += ",\"trace_id\":";
  append_json_string(out, r.env.trace_id);
  out += ",\"attempt\":" + std::to_string(r.env.attempt) + "},\"data\":";
  append_json(out, r.data);
  out += ",\"meta\":";
  append_json(out, r.meta);
  out += '}';
  return out;
}

Record decode(std::string_view payload, const std::string& run_id) {
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec) throw std::runtime_error("not a flowrun record: invalid JSON (" + ec.message() + ")");
  if (!v.is_object()) throw std::runtime_error("not a flowrun record: not a JSON object");
  auto& o = v.as_object();
  const auto* run = o.if_contains("run_id");
  const auto* env = o.if_contains("env");
  const auto* data = o.if_contains("data");
  if (!run || !run->is_string() || !env || !env->is_object() || !data || !data->is_object())
    throw std::runtime_error("not a flowrun record: needs run_id, env and data");
  if (run->get_string() != run_id)
    throw std::runtime_error("record of run " + std::string(run->get_string()) + " on an edge of run " + run_id);
  Record r(std::move(data->as_object()));
  const auto& e = env->get_object();
  auto text = [&](const char* k) {
    const auto* x = e.if_contains(k);
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  r.env.source = text("source");
  r.env.source_id = text("source_id");
  r.env.trace_id = text("trace_id");
  if (const auto* a = e.if_contains("attempt"); a && a->is_int64()) r.env.attempt = static_cast<int>(a->get_int64());
  if (auto* m = o.if_contains("meta"); m && m->is_object()) r.meta = std::move(m->as_object());
  return r;
}

std::string message_id(const std::string& key) {
  if (key.size() <= 96) return key;
  // FNV-1a 64 twice, from different offsets: enough bits that two records never share an id.
  auto fnv = [&](std::uint64_t h) {
    for (unsigned char c : key) h = (h ^ c) * 0x100000001b3ULL;
    return h;
  };
  char buf[40];
  std::snprintf(buf, sizeof buf, "h%016llx%016llx", static_cast<unsigned long long>(fnv(0xcbf29ce484222325ULL)),
                static_cast<unsigned long long>(fnv(0x84222325cbf29ce4ULL)));
  return buf;
}

}  // namespace flowrun::nats
