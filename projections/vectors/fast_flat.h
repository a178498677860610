// Inner products at the speed of the machine. Debian's FAISS 1.7.3 is built
// without SIMD: its fvec_inner_product is the scalar reference loop, which was
// 59% of recall's CPU at 10k memories and most of an HNSW build. Here:
//   dot()       an AVX2/FMA kernel chosen at run time (scalar with 8
//               accumulators where AVX2 is missing); dot_rows() for scans;
//   FastFlatIP  an IndexFlatIP whose distance computer uses dot(), so HNSW
//               search and construction use it too. It serialises as a plain
//               IndexFlatIP (same layout); accelerate() swaps it back in after
//               a snapshot is read.
#pragma once

#include <faiss/IndexFlat.h>

#include <cstddef>
#include <memory>

namespace signet::projections {

float dot(const float* a, const float* b, size_t d);
// out[i] = dot(q, rows + i*d, d) for n contiguous rows. Eight rows at a time
// share each load of q and keep eight sums in flight, where one dot() at a
// time waits on its own chain of additions: a flat scan runs about 3x faster.
// The sums may differ from dot()'s in the last bit (another order of addition).
void dot_rows(const float* q, const float* rows, size_t n, size_t d, float* out);
bool dot_uses_avx2();  // which kernel dot() runs

struct FastFlatIP final : faiss::IndexFlatIP {
  explicit FastFlatIP(idx_t d) : faiss::IndexFlatIP(d) {}
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

// A flat index, or an HNSW index over a flat storage, with that storage
// replaced by a FastFlatIP holding the same vectors. Other indexes unchanged.
std::unique_ptr<faiss::Index> accelerate(std::unique_ptr<faiss::Index> index);

}  // namespace signet::projections
