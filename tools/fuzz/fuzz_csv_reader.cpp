// Fuzz target: the RFC 4180 CSV reader used by the file source. Any bytes must give rows or a
// std::runtime_error (unterminated quote), never a crash or an endless loop.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "nodes/file/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  flowrun::csv::Reader reader(in);
  try {
    std::size_t rows = 0;
    while (auto row = reader.next()) {
      // Every byte consumed ends a row at the latest at end of input, so rows <= size + 1.
      if (++rows > size + 1) __builtin_trap();
      for (const auto& f : *row) (void)flowrun::csv::quote(f);
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
