#include "engine/uuid.h"

#include <openssl/rand.h>

#include <random>

namespace signet::engine {

std::string uuid_v4() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof(b)) != 1) {
    // The OpenSSL generator failing is unheard of; fall back rather than stop.
    thread_local std::mt19937_64 gen(std::random_device{}());
    for (auto& x : b) x = static_cast<unsigned char>(gen());
  }
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
