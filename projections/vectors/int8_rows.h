// Unit vectors as int8 with one scale per row: a quarter of the bytes of the
// floats. A flat scan over 10k x 256 floats reads 10 MB per query and was
// bound by memory bandwidth (a fifth of recall's CPU at 10k memories); over
// int8 codes it reads 2.5 MB. Scores are approximate (about 1e-3 off for unit
// vectors), so the scan keeps a few times more candidates than it needs and
// rescores them with the floats, as FAISS's IndexRefineFlat does.
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
  };
  Query quantise(const float* q) const;
  // out[i] ~= dot(q, row first + i) for i < n.
  void scores(const Query& q, size_t first, size_t n, float* out) const;

 private:
  size_t dims_;
  size_t stride_;               // dims rounded up to 32: whole AVX2 loads, zeros after dims
  std::vector<int8_t> codes_;   // size() rows of stride_ bytes
  std::vector<float> scales_;   // code * scale ~= value
};

}  // namespace signet::projections
