// Which embedded language runs flowrun's filter/route/map expressions: LuaJIT (the way
// nodes/transform embeds it: sandboxed, JIT off, fields read from the Boost.JSON record in place)
// against libjq (each record converted from Boost.JSON to jq's jv values, no JSON text, then the
// compiled program run), on records of the daily pipeline's canonical shape. Prints per-record
// cost of a condition and of a computed value, the conversion alone, and the memory one compiled
// program holds (docs/benchmarks/transform.md).
//
// usage: flowrun-bench-transform-languages [--records N] [--rounds R]
//        flowrun-bench-transform-languages --generate N FILE   (JSON Lines for tools/bench/transform/run.sh)
extern "C" {
#include <jq.h>
#include <jv.h>
}
#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "engine/json_text.hpp"
#include "nodes/transform/program.hpp"
#include "tools/bench/transform/records.hpp"

namespace {

using namespace flowrun;
namespace json = boost::json;

const char* kLuaCondition = R"(property_type == "single_family" and price ~= nil and price < 600000)";
const char* kJqCondition = R"(.property_type == "single_family" and .price != null and .price < 600000)";
const char* kLuaValue = "price ~= nil and assessed_value > 0 and price / assessed_value or nil";
const char* kJqValue = "if .price != null and .assessed_value > 0 then .price / .assessed_value else null end";

jv to_jv(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return jv_null();
    case json::kind::bool_: return v.get_bool() ? jv_true() : jv_false();
    case json::kind::int64: return jv_number(static_cast<double>(v.get_int64()));
    case json::kind::uint64: return jv_number(static_cast<double>(v.get_uint64()));
    case json::kind::double_: return jv_number(v.get_double());
    case json::kind::string: return jv_string_sized(v.get_string().data(), static_cast<int>(v.get_string().size()));
    case json::kind::array: {
      jv a = jv_array_sized(static_cast<int>(v.get_array().size()));
      for (const auto& e : v.get_array()) a = jv_array_append(a, to_jv(e));
      return a;
    }
    case json::kind::object: {
      jv o = jv_object();
      for (const auto& kv : v.get_object())
        o = jv_object_set(o, jv_string_sized(kv.key().data(), static_cast<int>(kv.key().size())), to_jv(kv.value()));
      return o;
    }
  }
  return jv_null();
}

struct Jq {
  jq_state* jq = jq_init();
  explicit Jq(const char* program) {
    if (!jq_compile(jq, program)) throw std::runtime_error(std::string("jq does not compile: ") + program);
  }
  ~Jq() { jq_teardown(&jq); }
  // Runs the program on `input` (consumed) and returns its one output (the caller frees it).
  jv run(jv input) {
    jq_start(jq, input, 0);
    jv out = jq_next(jq);
    for (jv more = jq_next(jq); jv_is_valid(more); more = jq_next(jq)) jv_free(more);
    return out;
  }
};

transform::Expr expr(const char* label, const char* text) { return transform::Expr{label, text, {}, false}; }

std::size_t heap_in_use() { return mallinfo2().uordblks; }

// This thread's CPU time: the machine is shared, and wall time would count other people's work.
double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// Best of `rounds` runs of `body` over every record, in CPU ns per record.
double best_ns(int rounds, std::size_t n, const std::function<void()>& body) {
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) {
    const double t0 = cpu_ns();
    body();
    best = std::min(best, (cpu_ns() - t0) / n);
  }
  return best;
}

int generate(std::size_t n, const char* path) {
  std::ofstream out(path, std::ios::binary);
  for (std::size_t i = 0; i < n; ++i) out << to_json_text(bench::canonical_record(i)) << '\n';
  return out ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 200000;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--generate" && i + 2 < argc) return generate(std::stoul(argv[i + 1]), argv[i + 2]);
    if (a == "--records" && i + 1 < argc) n = std::stoul(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = std::stoi(argv[++i]);
    else return std::fprintf(stderr, "usage: %s [--records N] [--rounds R] | --generate N FILE\n", argv[0]), 2;
  }
  std::vector<json::object> records;
  records.reserve(n);
  for (std::size_t i = 0; i < n; ++i) records.push_back(bench::canonical_record(i));

  // Memory one compiled program holds, measured the same way for both: heap in use before and after.
  std::size_t before = heap_in_use();
  auto lua = std::make_unique<transform::Program>(
      std::make_shared<const std::vector<transform::Chunk>>(std::vector<transform::Chunk>{
          {expr("when", kLuaCondition), transform::ChunkKind::condition}, {expr("set.ratio", kLuaValue), transform::ChunkKind::value}}),
      transform::Limits{});
  const double lua_kb = (heap_in_use() - before) / 1024.0;
  before = heap_in_use();
  auto jq_condition = std::make_unique<Jq>(kJqCondition);
  const double jq_kb = (heap_in_use() - before) / 1024.0;
  Jq jq_value(kJqValue);

  // Both must agree before their speed means anything.
  std::size_t lua_hits = 0, jq_hits = 0;
  double lua_sum = 0, jq_sum = 0;
  for (const auto& r : records) {
    lua_hits += lua->test(0, r);
    const json::value v = lua->value(1, r);
    if (!v.is_null()) lua_sum += v.to_number<double>();
    jv c = jq_condition->run(to_jv(r));
    jq_hits += jv_get_kind(c) == JV_KIND_TRUE;
    jv_free(c);
    jv x = jq_value.run(to_jv(r));
    if (jv_get_kind(x) == JV_KIND_NUMBER) jq_sum += jv_number_value(x);
    jv_free(x);
  }
  if (lua_hits != jq_hits || std::abs(lua_sum - jq_sum) > 1e-6 * std::abs(jq_sum)) {
    std::fprintf(stderr, "LuaJIT and jq disagree: %zu vs %zu matches, sums %.6f vs %.6f\n", lua_hits, jq_hits, lua_sum, jq_sum);
    return 1;
  }

  std::size_t sink = 0;
  const double lua_cond = best_ns(rounds, n, [&] { for (const auto& r : records) sink += lua->test(0, r); });
  const double lua_val = best_ns(rounds, n, [&] { for (const auto& r : records) sink += lua->value(1, r).is_null(); });
  const double jq_cond = best_ns(rounds, n, [&] {
    for (const auto& r : records) { jv c = jq_condition->run(to_jv(r)); sink += jv_get_kind(c) == JV_KIND_TRUE; jv_free(c); }
  });
  const double jq_val = best_ns(rounds, n, [&] {
    for (const auto& r : records) { jv x = jq_value.run(to_jv(r)); sink += jv_get_kind(x); jv_free(x); }
  });

  const double jq_conv = best_ns(rounds, n, [&] { for (const auto& r : records) { jv j = to_jv(r); sink += jv_get_kind(j); jv_free(j); } });
  // jq's interpreter alone: every record converted beforehand, each run given a reference to it.
  std::vector<jv> prebuilt;
  for (const auto& r : records) prebuilt.push_back(to_jv(r));
  const double jq_cond_only = best_ns(rounds, n, [&] {
    for (const jv& r : prebuilt) { jv c = jq_condition->run(jv_copy(r)); sink += jv_get_kind(c) == JV_KIND_TRUE; jv_free(c); }
  });
  for (jv& r : prebuilt) jv_free(r);
  std::printf("%zu canonical records, best of %d rounds, CPU time; both agree on %zu matches (checksum %zu)\n\n", n, rounds, lua_hits, sink % 10);
  std::printf("| per record | LuaJIT (flowrun's sandbox) | libjq (jv from Boost.JSON) | jq / LuaJIT |\n|---|---:|---:|---:|\n");
  std::printf("| condition `%s` | %.0f ns | %.0f ns | %.1fx |\n", kLuaCondition, lua_cond, jq_cond, jq_cond / lua_cond);
  std::printf("| value `price / assessed_value` (guarded) | %.0f ns | %.0f ns | %.1fx |\n", lua_val, jq_val, jq_val / lua_val);
  std::printf("| condition, records converted beforehand | %.0f ns | %.0f ns | %.1fx |\n", lua_cond, jq_cond_only, jq_cond_only / lua_cond);
  std::printf("| record conversion alone | none (fields read in place) | %.0f ns | |\n", jq_conv);
  std::printf("| memory of one compiled program | %.0f KB | %.0f KB | %.2fx |\n", lua_kb, jq_kb, jq_kb / lua_kb);
  std::printf("\nsimple condition: %.2f us CPU per record in LuaJIT (target <= 1 us)\n", lua_cond / 1000);
  return 0;
}
