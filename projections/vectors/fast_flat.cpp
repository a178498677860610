#include "projections/vectors/fast_flat.h"

#include <faiss/IndexHNSW.h>
#include <faiss/impl/DistanceComputer.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace signet::projections {
namespace {

float dot_scalar(const float* a, const float* b, size_t d) {
  // Eight independent sums: the compiler keeps them in registers and the
  // additions do not wait on each other.
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= d; i += 8)
    for (size_t k = 0; k < 8; ++k) s[k] += a[i + k] * b[i + k];
  float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < d; ++i) total += a[i] * b[i];
  return total;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, size_t d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= d; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  __m256 acc = _mm256_add_ps(acc0, acc1);
  __m128 lo = _mm256_castps256_ps128(acc), hi = _mm256_extractf128_ps(acc, 1);
  __m128 sum = _mm_add_ps(lo, hi);
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_shuffle_ps(sum, sum, 0x55));
  float total = _mm_cvtss_f32(sum);
  for (; i < d; ++i) total += a[i] * b[i];
  return total;
}

__attribute__((target("avx2,fma"))) void dot8_avx2(const float* q, const float* r, size_t d, float* out) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  __m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps(), a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    const __m256 x = _mm256_loadu_ps(q + i);
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 0 * d + i), x, a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 1 * d + i), x, a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 2 * d + i), x, a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 3 * d + i), x, a3);
    a4 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 4 * d + i), x, a4);
    a5 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 5 * d + i), x, a5);
    a6 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 6 * d + i), x, a6);
    a7 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 7 * d + i), x, a7);
  }
  // Transpose-and-add: lane j of the result is the sum of a_j's eight lanes.
  __m256 t0 = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  __m256 t1 = _mm256_hadd_ps(_mm256_hadd_ps(a4, a5), _mm256_hadd_ps(a6, a7));
  __m256 sums = _mm256_add_ps(_mm256_permute2f128_ps(t0, t1, 0x20), _mm256_permute2f128_ps(t0, t1, 0x31));
  _mm256_storeu_ps(out, sums);
  for (; i < d; ++i)
    for (size_t k = 0; k < 8; ++k) out[k] += q[i] * r[k * d + i];
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}
#endif

struct FastIPDistance final : faiss::FlatCodesDistanceComputer {
  size_t d;
  const float* q = nullptr;
  FastIPDistance(const uint8_t* codes, size_t code_size, size_t dims)
      : faiss::FlatCodesDistanceComputer(codes, code_size), d(dims) {}
  void set_query(const float* x) override { q = x; }
  float distance_to_code(const uint8_t* code) override { return dot(q, reinterpret_cast<const float*>(code), d); }
  float symmetric_dis(idx_t i, idx_t j) override {
    return dot(reinterpret_cast<const float*>(codes + i * code_size), reinterpret_cast<const float*>(codes + j * code_size), d);
  }
};

std::unique_ptr<FastFlatIP> faster_copy(faiss::IndexFlat& flat) {
  auto fast = std::make_unique<FastFlatIP>(flat.d);
  fast->codes = std::move(flat.codes);
  fast->ntotal = flat.ntotal;
  flat.ntotal = 0;
  return fast;
}

}  // namespace

float dot(const float* a, const float* b, size_t d) {
#if defined(__x86_64__)
  if (have_avx2()) return dot_avx2(a, b, d);
#endif
  return dot_scalar(a, b, d);
}

void dot_rows(const float* q, const float* rows, size_t n, size_t d, float* out) {
  size_t i = 0;
#if defined(__x86_64__)
  if (have_avx2())
    for (; i + 8 <= n; i += 8) dot8_avx2(q, rows + i * d, d, out + i);
#endif
  for (; i < n; ++i) out[i] = dot(q, rows + i * d, d);
}

bool dot_uses_avx2() {
#if defined(__x86_64__)
  return have_avx2();
#else
  return false;
#endif
}

faiss::FlatCodesDistanceComputer* FastFlatIP::get_FlatCodesDistanceComputer() const {
  return new FastIPDistance(codes.data(), code_size, static_cast<size_t>(d));
}

std::unique_ptr<faiss::Index> accelerate(std::unique_ptr<faiss::Index> index) {
  if (!index || index->metric_type != faiss::METRIC_INNER_PRODUCT) return index;
  if (dynamic_cast<FastFlatIP*>(index.get())) return index;
  if (auto* flat = dynamic_cast<faiss::IndexFlat*>(index.get())) return faster_copy(*flat);
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get())) {
    auto* storage = dynamic_cast<faiss::IndexFlat*>(hnsw->storage);
    if (storage && !dynamic_cast<FastFlatIP*>(storage) && hnsw->own_fields) {
      hnsw->storage = faster_copy(*storage).release();
      delete storage;
    }
  }
  return index;
}

}  // namespace signet::projections
