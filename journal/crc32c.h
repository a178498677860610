// CRC-32C (Castagnoli), the checksum on every journal record.
//
// Stored masked (as leveldb does) so that a CRC computed over bytes that
// themselves contain an embedded CRC does not degenerate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace signet::crc32c {

// Extends `crc` with `data`. value(data) == extend(0, data).
uint32_t extend(uint32_t crc, const void* data, size_t n);
inline uint32_t value(std::string_view data) { return extend(0, data.data(), data.size()); }

constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace signet::crc32c
