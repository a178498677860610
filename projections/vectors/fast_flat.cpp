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
