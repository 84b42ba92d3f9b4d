// Upserts per second into a store for N canonical property records, then the same N again
// (all unchanged) to time a rerun relative to the first run.
//   flowrun-bench-store URL [--records N] [--batch B]
// URL: sqlite:path.db or postgresql://... (start a throwaway server with tools/pg/pg-temp.sh).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/record.hpp"
#include "nodes/store/record_rows.hpp"
#include "nodes/store/store.hpp"

using namespace flowrun;
using Clock = std::chrono::steady_clock;

static Record canonical(std::int64_t i) {
  json::object o;
  o["id"] = "apn:" + std::to_string(100000000 + i);
  o["source"] = "assessor";
  o["source_id"] = std::to_string(100000000 + i);
  o["apn"] = std::to_string(100000000 + i);
  o["address"] = json::object{{"street", std::to_string(1000 + i % 9000) + " N 55th Ave"},
                              {"unit", nullptr},
                              {"city", "Phoenix"},
                              {"state", "AZ"},
                              {"zip", "850" + std::to_string(10 + i % 90)}};
  o["property_type"] = "single_family";
  o["assessed_value"] = 20000 + i % 50000;
  o["full_cash_value"] = 200000 + i % 500000;
  o["beds"] = 2 + i % 4;
  o["baths"] = 1.5 + (i % 3) * 0.5;
  o["sqft"] = 900 + i % 2500;
  o["year_built"] = 1950 + i % 70;
  o["collected_at"] = "2026-11-23T06:00:00Z";
  o["provenance"] = json::object{{"assessed_value", "valuations.AssessedValue"}, {"sqft", "LivableSpace"}};
  return Record(std::move(o));
}

struct Pass {
  double seconds = 0, build_seconds = 0;
  store::UpsertCounts counts;
};

static Pass pass(store::Store& st, std::int64_t n, std::int64_t batch, const std::string& run_id) {
  Pass p;
  std::vector<store::PropertyRow> rows;
  rows.reserve(batch);
  auto t0 = Clock::now();
  for (std::int64_t i = 0; i < n; i += batch) {
    auto b0 = Clock::now();
    rows.clear();
    for (std::int64_t j = i; j < std::min(n, i + batch); ++j)
      rows.push_back(store::to_property_row(canonical(j), store::default_hash_exclude()));
    p.build_seconds += std::chrono::duration<double>(Clock::now() - b0).count();
    p.counts += st.upsert_properties(rows, run_id, store::iso_now());
  }
  p.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return p;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s URL [--records N] [--batch B]\n", argv[0]);
    return 2;
  }
  std::string url = argv[1];
  std::int64_t n = 1000000, batch = 500;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--records") n = std::atoll(argv[i + 1]);
    else if (k == "--batch") batch = std::atoll(argv[i + 1]);
  }
  auto st = store::Store::open(url);
  auto first = pass(*st, n, batch, "bench-1");
  std::printf("%s first run:  %lld records in %.2f s = %.0f upserts/s (row building %.2f s); inserted %lld\n",
              st->kind().c_str(), static_cast<long long>(n), first.seconds, n / first.seconds,
              first.build_seconds, static_cast<long long>(first.counts.inserted));
  auto second = pass(*st, n, batch, "bench-2");
  std::printf("%s second run: %lld records in %.2f s = %.0f upserts/s (row building %.2f s); unchanged %lld\n",
              st->kind().c_str(), static_cast<long long>(n), second.seconds, n / second.seconds,
              second.build_seconds, static_cast<long long>(second.counts.unchanged));
  std::printf("%s second/first time: %.2f\n", st->kind().c_str(), second.seconds / first.seconds);
  return first.counts.inserted == n && second.counts.unchanged == n ? 0 : 1;
}
