#include "projections/vectors/int8_rows.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace signet::projections {
namespace {

// Symmetric, per vector: the largest magnitude maps to 127 (never -128, so
// the AVX2 kernel's sign trick below cannot overflow). Rows are stored offset
// by 128 as unsigned bytes, the operand order of VNNI's dpbusd; the sums are
// corrected by 128 times the sum of the query's codes.
float quantise_into(const float* v, size_t d, int8_t* out) {
  float max = 0;
  for (size_t i = 0; i < d; ++i) max = std::max(max, std::fabs(v[i]));
  if (!(max > 0) || !std::isfinite(max)) {
    std::fill(out, out + d, int8_t{0});
    return 0;
  }
  const float inv = 127.0f / max;
  for (size_t i = 0; i < d; ++i)
    out[i] = static_cast<int8_t>(std::clamp(std::lround(v[i] * inv), -127L, 127L));
  return max / 127.0f;
}

int32_t dot_scalar(const int8_t* q, const uint8_t* row, size_t n) {
  int32_t s = 0;
  for (size_t i = 0; i < n; ++i) s += int32_t{q[i]} * (int32_t{row[i]} - 128);
  return s;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) inline __m256i dot32_avx2(__m256i q_abs, __m256i q, const uint8_t* row, __m256i acc) {
  // Back to signed codes, then maddubs (unsigned by signed bytes): |q| times
  // x with q's sign. Both at most 127 in magnitude, so a pair fits in int16.
  const __m256i x = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row)),
                                     _mm256_set1_epi8(static_cast<char>(0x80)));
  const __m256i pairs = _mm256_maddubs_epi16(q_abs, _mm256_sign_epi8(x, q));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

__attribute__((target("avx2"))) int32_t hsum_avx2(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// Four rows per pass: each load of the query serves four independent sums.
__attribute__((target("avx2"))) void scores_avx2(const int8_t* q, size_t stride, const uint8_t* rows, size_t n,
                                                 int32_t* out) {
  size_t r = 0;
  for (; r + 4 <= n; r += 4) {
    const uint8_t* x = rows + r * stride;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t j = 0; j < stride; j += 32) {
      const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + j));
      const __m256i qa = _mm256_abs_epi8(qv);
      a0 = dot32_avx2(qa, qv, x + j, a0);
      a1 = dot32_avx2(qa, qv, x + stride + j, a1);
      a2 = dot32_avx2(qa, qv, x + 2 * stride + j, a2);
      a3 = dot32_avx2(qa, qv, x + 3 * stride + j, a3);
    }
    out[r] = hsum_avx2(a0);
    out[r + 1] = hsum_avx2(a1);
    out[r + 2] = hsum_avx2(a2);
    out[r + 3] = hsum_avx2(a3);
  }
  for (; r < n; ++r) out[r] = dot_scalar(q, rows + r * stride, stride);
}

// Not _mm512_reduce_add_epi32 or the plain extracts: GCC 12's header warns
// (-Wmaybe-uninitialized) on every use of them, since they pass an undefined
// source to the masked builtin. The masked extract with an explicit zero
// source does the same work without the warning.
__attribute__((target("avx512f,avx2"))) int32_t hsum_512(__m512i v) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i lo = _mm512_mask_extracti64x4_epi64(zero, 0xFF, v, 0);
  const __m256i hi = _mm512_mask_extracti64x4_epi64(zero, 0xFF, v, 1);
  return hsum_avx2(_mm256_add_epi32(lo, hi));
}

// AVX-512 VNNI: one dpbusd multiplies 64 unsigned row bytes by 64 signed query
// bytes and adds them in fours into int32 lanes, without saturating. The
// result is offset by 128 * sum(q); the caller subtracts it.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void scores_vnni(const int8_t* q, size_t stride,
                                                                        const uint8_t* rows, size_t n,
                                                                        int32_t* out, int32_t offset) {
  size_t r = 0;
  for (; r + 4 <= n; r += 4) {
    const uint8_t* x = rows + r * stride;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t j = 0; j < stride; j += 64) {
      const __m512i qv = _mm512_loadu_si512(q + j);
      a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(x + j), qv);
      a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(x + stride + j), qv);
      a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(x + 2 * stride + j), qv);
      a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(x + 3 * stride + j), qv);
    }
    out[r] = hsum_512(a0) - offset;
    out[r + 1] = hsum_512(a1) - offset;
    out[r + 2] = hsum_512(a2) - offset;
    out[r + 3] = hsum_512(a3) - offset;
  }
  for (; r < n; ++r) out[r] = dot_scalar(q, rows + r * stride, stride);
}

// One row: for a graph walk, which visits rows one at a time at random.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) int32_t score_vnni(const int8_t* q, size_t stride,
                                                                        const uint8_t* x, int32_t offset) {
  __m512i a = _mm512_setzero_si512();
  for (size_t j = 0; j < stride; j += 64) a = _mm512_dpbusd_epi32(a, _mm512_loadu_si512(x + j), _mm512_loadu_si512(q + j));
  return hsum_512(a) - offset;
}

__attribute__((target("avx2"))) int32_t score_avx2(const int8_t* q, size_t stride, const uint8_t* x) {
  __m256i a = _mm256_setzero_si256();
  for (size_t j = 0; j < stride; j += 32) {
    const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + j));
    a = dot32_avx2(_mm256_abs_epi8(qv), qv, x + j, a);
  }
  return hsum_avx2(a);
}

bool have_vnni() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vnni");
  return yes;
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

}  // namespace

Int8Rows::Int8Rows(size_t dims) : dims_(dims), stride_((dims + 63) / 64 * 64) {}

void Int8Rows::append(const float* rows, size_t n) {
  const size_t first = size();
  codes_.resize((first + n) * stride_, 128);  // padding: code 0
  scales_.resize(first + n);
  std::vector<int8_t> codes(dims_);
  for (size_t i = 0; i < n; ++i) {
    scales_[first + i] = quantise_into(rows + i * dims_, dims_, codes.data());
    uint8_t* row = codes_.data() + (first + i) * stride_;
    for (size_t j = 0; j < dims_; ++j) row[j] = static_cast<uint8_t>(codes[j] + 128);
  }
}

void Int8Rows::clear() {
  codes_.clear();
  codes_.shrink_to_fit();
  scales_.clear();
  scales_.shrink_to_fit();
}

Int8Rows::Query Int8Rows::quantise(const float* q) const {
  Query out;
  out.codes.assign(stride_, 0);
  out.scale = quantise_into(q, dims_, out.codes.data());
  int32_t sum = 0;
  for (int8_t c : out.codes) sum += c;
  out.offset = 128 * sum;
  return out;
}

bool Int8Rows::cpu_has(Kernel k) {
  switch (k) {
    case Kernel::kBest:
    case Kernel::kScalar: return true;
#if defined(__x86_64__)
    case Kernel::kVnni: return have_vnni();
    case Kernel::kAvx2: return have_avx2();
#else
    case Kernel::kVnni:
    case Kernel::kAvx2: return false;
#endif
  }
  return false;
}

void Int8Rows::scores(const Query& q, size_t first, size_t n, float* out, Kernel kernel) const {
  if (kernel == Kernel::kBest || !cpu_has(kernel))
    kernel = cpu_has(Kernel::kVnni) ? Kernel::kVnni : cpu_has(Kernel::kAvx2) ? Kernel::kAvx2 : Kernel::kScalar;
  constexpr size_t kBlock = 256;
  int32_t sums[kBlock];
  for (size_t done = 0; done < n; done += kBlock) {
    const size_t rows = std::min(kBlock, n - done);
    const uint8_t* x = codes_.data() + (first + done) * stride_;
    switch (kernel) {
#if defined(__x86_64__)
      case Kernel::kVnni: scores_vnni(q.codes.data(), stride_, x, rows, sums, q.offset); break;
      case Kernel::kAvx2: scores_avx2(q.codes.data(), stride_, x, rows, sums); break;
#endif
      default:
        for (size_t r = 0; r < rows; ++r) sums[r] = dot_scalar(q.codes.data(), x + r * stride_, stride_);
    }
    for (size_t r = 0; r < rows; ++r)
      out[done + r] = static_cast<float>(sums[r]) * q.scale * scales_[first + done + r];
  }
}

float Int8Rows::score(const Query& q, size_t row, Kernel kernel) const {
  if (kernel == Kernel::kBest || !cpu_has(kernel))
    kernel = cpu_has(Kernel::kVnni) ? Kernel::kVnni : cpu_has(Kernel::kAvx2) ? Kernel::kAvx2 : Kernel::kScalar;
  const uint8_t* x = codes_.data() + row * stride_;
  int32_t sum;
  switch (kernel) {
#if defined(__x86_64__)
    case Kernel::kVnni: sum = score_vnni(q.codes.data(), stride_, x, q.offset); break;
    case Kernel::kAvx2: sum = score_avx2(q.codes.data(), stride_, x); break;
#endif
    default: sum = dot_scalar(q.codes.data(), x, stride_);
  }
  return static_cast<float>(sum) * q.scale * scales_[row];
}

}  // namespace signet::projections
