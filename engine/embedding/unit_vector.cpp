#include "engine/embedding/unit_vector.h"

#include <cmath>
#include <cstdint>

namespace signet::engine {

bool l2_normalize(std::span<float> v) {
  // Summed in double: 4096 float squares lose precision in float.
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  if (!(sum > 0) || !std::isfinite(sum)) return false;
  const double inv = 1.0 / std::sqrt(sum);
  for (float& x : v) x = static_cast<float>(x * inv);
  return true;
}

bool is_blank(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
  }
  return true;
}

void fill_blank_text_vector(std::span<float> v) {
  if (v.empty()) return;
  const float magnitude = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v.size())));
  for (size_t i = 0; i < v.size(); ++i) {
    // splitmix64 of the index: a fixed sign pattern, the same on every machine.
    uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    v[i] = (z & 1) ? -magnitude : magnitude;
  }
}

}  // namespace signet::engine
