// Addresses parsed per second by flowrun::normalizer::parse_address, the normalizer's per-record
// address step, over a deterministic mix of the lines it sees: assessor situs lines, Redfin
// street lines with units, full one-line addresses with and without commas, numbered roads,
// park spaces, grid numbers. Prints the rate per kind and overall, and the overall cost as a
// share of the normalizer's 4 us per-record budget (issue 15), all measured in this one run.
//   flowrun-bench-address [--lines N] [--rounds R]     (defaults 200000 and 5)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "nodes/normalizer/address.hpp"

using Clock = std::chrono::steady_clock;

namespace {

const char* kNames[] = {"INDIAN SCHOOL", "Thomas", "McDowell", "CAMELBACK", "Bethany Home", "55TH", "43rd",
                        "1ST", "Fern", "Oak", "Central", "Palm", "Baseline", "Thunderbird", "Bell", "Peachtree"};
const char* kSuffixes[] = {"ST", "Ave", "RD", "Dr", "LN", "Blvd", "Ct", "Pl", "Cir", "Way", "Street", "Avenue", "Road"};
const char* kDirs[] = {"N", "S", "E", "W", "North", "West"};
const char* kCities[] = {"PHOENIX", "Phoenix", "Glendale", "QUEEN CREEK", "Tempe", "Mesa", "Sun City West", "Chicago"};
const char* kStates[] = {"AZ", "Arizona", "AZ", "IL"};
const char* kUnits[] = {"#102", "Unit B", "Apt 4B", "LOT 163", "SP#348", "Ste 200", "3rd Floor", "Rear"};

struct Kind {
  const char* name;
  std::vector<std::string> lines;
};

std::string street(std::mt19937& rng) {
  auto pick = [&](const auto& arr) { return std::string(arr[rng() % (sizeof(arr) / sizeof(*arr))]); };
  return std::to_string(100 + rng() % 9900) + " " + pick(kDirs) + " " + pick(kNames) + " " + pick(kSuffixes);
}

std::vector<Kind> make_lines(std::size_t n) {
  std::mt19937 rng(19);
  auto pick = [&](const auto& arr) { return std::string(arr[rng() % (sizeof(arr) / sizeof(*arr))]); };
  auto zip = [&] { return std::to_string(85001 + rng() % 400); };
  std::vector<Kind> kinds = {{"assessor street line", {}}, {"street line with unit", {}},
                             {"full line, commas", {}},    {"full line, no commas", {}},
                             {"numbered road / grid", {}}};
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t k = i % kinds.size();
    std::string s;
    switch (k) {
      case 0: s = street(rng) + (rng() % 6 == 0 ? " " + std::to_string(1 + rng() % 240) : ""); break;
      case 1: s = street(rng) + " " + pick(kUnits); break;
      case 2: s = street(rng) + ", " + pick(kCities) + ", " + pick(kStates) + " " + zip() + (rng() % 3 ? "" : "-1234"); break;
      case 3: s = street(rng) + (rng() % 2 ? " " + pick(kUnits) : "") + " " + pick(kCities) + " " + pick(kStates) + " " + zip(); break;
      default:
        s = rng() % 2 ? std::to_string(100 + rng() % 900) + " County Road " + std::to_string(rng() % 99) + ", Eaton, CO 80615"
                      : "N" + std::to_string(rng() % 300) + " W" + std::to_string(rng() % 9000) + " Tartan Ct";
    }
    kinds[k].lines.push_back(std::move(s));
  }
  return kinds;
}

// Best time over `rounds` for one pass over `lines`, in nanoseconds per line.
double ns_per_line(const std::vector<std::string>& lines, int rounds, std::size_t& sink) {
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) {
    auto start = Clock::now();
    for (const auto& line : lines) {
      try {
        auto a = flowrun::normalizer::parse_address(line);
        sink += a.street.size() + a.city.size() + a.unit.size();
      } catch (const flowrun::normalizer::AddressError&) {
        ++sink;
      }
    }
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(lines.size());
    best = std::min(best, ns);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 200000;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--lines")) n = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
  }
  if (n < 5 || rounds < 1) {
    std::fprintf(stderr, "usage: %s [--lines N>=5] [--rounds R>=1]\n", argv[0]);
    return 2;
  }
  auto kinds = make_lines(n);
  std::vector<std::string> all;
  for (const auto& k : kinds) all.insert(all.end(), k.lines.begin(), k.lines.end());
  std::size_t sink = 0;
  (void)ns_per_line(all, 1, sink);  // warm the tables and the caches
  std::printf("| lines | ns per address | addresses/s |\n|---|---:|---:|\n");
  for (const auto& k : kinds) {
    double ns = ns_per_line(k.lines, rounds, sink);
    std::printf("| %s | %.0f | %.0f |\n", k.name, ns, 1e9 / ns);
  }
  double ns = ns_per_line(all, rounds, sink);
  std::printf("| all (%zu lines, best of %d) | %.0f | %.0f |\n", all.size(), rounds, ns, 1e9 / ns);
  std::printf("\nshare of the normalizer's 4 us per-record budget: %.2f (checksum %zu)\n", ns / 4000.0, sink);
  return 0;
}
