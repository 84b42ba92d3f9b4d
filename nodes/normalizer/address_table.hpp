// A read-mostly hash table keyed by short upper-case words, for the address parser's tables:
// built once, then probed several times per address on the normalizer's hot path. Open
// addressing with FNV-1a: one cache line per probe for the short keys of these tables, where
// std::unordered_map pays a bucket chain and a general-purpose string hash.
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace flowrun::normalizer::addr {

inline std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Keys are views: the caller keeps the key text alive as long as the table (string literals,
// or strings the table's owner stores).
template <class V>
class WordTable {
 public:
  explicit WordTable(std::size_t expected = 64) { rehash(expected * 2); }

  // Inserts a default value when the key is new; returns the stored value.
  V& operator[](std::string_view key) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    std::size_t i = fnv1a(key) & mask_;
    while (slots_[i].used && slots_[i].key != key) i = (i + 1) & mask_;
    if (!slots_[i].used) {
      slots_[i].used = true;
      slots_[i].key = key;
      ++size_;
    }
    return slots_[i].value;
  }

  const V* find(std::string_view key) const {
    std::size_t i = fnv1a(key) & mask_;
    while (slots_[i].used) {
      if (slots_[i].key == key) return &slots_[i].value;
      i = (i + 1) & mask_;
    }
    return nullptr;
  }

  template <class F>
  void for_each(F f) {
    for (auto& s : slots_)
      if (s.used) f(s.key, s.value);
  }

 private:
  struct Slot {
    std::string_view key;
    V value{};
    bool used = false;
  };

  void rehash(std::size_t want) {
    std::size_t cap = 16;
    while (cap < want) cap *= 2;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    size_ = 0;
    for (auto& s : old)
      if (s.used) (*this)[s.key] = std::move(s.value);
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0, size_ = 0;
};

}  // namespace flowrun::normalizer::addr
