#include "engine/uuid.h"

#include <openssl/rand.h>

#include <cstdint>
#include <random>

namespace signet::engine {

namespace {
std::string format_v4(unsigned char (&b)[16]) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[b[i] >> 4]);
    out.push_back(hex[b[i] & 0xf]);
  }
  return out;
}

void fill_fallback(unsigned char* b, size_t n) {
  // The OpenSSL generator failing is unheard of; fall back rather than stop.
  thread_local std::mt19937_64 gen(std::random_device{}());
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(gen());
}
}  // namespace

std::string uuid_v4() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof(b)) != 1) fill_fallback(b, sizeof(b));
  return format_v4(b);
}

std::string request_uuid() {
  thread_local std::mt19937_64 gen = [] {
    unsigned char seed[8];
    if (RAND_bytes(seed, sizeof(seed)) != 1) fill_fallback(seed, sizeof(seed));
    uint64_t s = 0;
    for (unsigned char c : seed) s = (s << 8) | c;
    return std::mt19937_64(s);
  }();
  unsigned char b[16];
  uint64_t hi = gen(), lo = gen();
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(hi >> (8 * i));
    b[8 + i] = static_cast<unsigned char>(lo >> (8 * i));
  }
  return format_v4(b);
}

bool looks_like_uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace signet::engine
