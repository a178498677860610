// Unit vectors as int8 with one scale per row: a quarter of the bytes of the
// floats. A flat scan over 10k x 256 floats reads 10 MB per query and was
// bound by memory bandwidth (a fifth of recall's CPU at 10k memories); over
// int8 codes it reads 2.5 MB. Scores are approximate (about 1e-3 off for unit
// vectors), so the scan keeps a few times more candidates than it needs and
// rescores them with the floats, as FAISS's IndexRefineFlat does. Scanned
// with AVX-512 VNNI where the CPU has it, else AVX2, else plain C++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace signet::projections {

class Int8Rows {
 public:
  explicit Int8Rows(size_t dims);

  size_t size() const { return scales_.size(); }
  void append(const float* rows, size_t n);  // n rows of `dims` floats each
  void clear();

  struct Query {
    std::vector<int8_t> codes;  // padded like the rows
    float scale = 0;
    int32_t offset = 0;  // 128 * sum(codes): rows are stored as code + 128
  };
  Query quantise(const float* q) const;
  // out[i] ~= dot(q, row first + i) for i < n, with the best kernel this CPU
  // runs, or the one named (tests run each the CPU has).
  enum class Kernel : uint8_t { kBest, kVnni, kAvx2, kScalar };
  static bool cpu_has(Kernel k);
  void scores(const Query& q, size_t first, size_t n, float* out, Kernel kernel = Kernel::kBest) const;
  // ~= dot(q, row `row`), the same value scores() gives: one row, for a
  // graph walk (HNSW) that visits rows one at a time at random.
  float score(const Query& q, size_t row, Kernel kernel = Kernel::kBest) const;

 private:
  size_t dims_;
  size_t stride_;               // dims rounded up to 64: whole AVX-512 loads, code 0 after dims
  std::vector<uint8_t> codes_;  // size() rows of stride_ bytes, each code + 128
  std::vector<float> scales_;   // code * scale ~= value
};

}  // namespace signet::projections
