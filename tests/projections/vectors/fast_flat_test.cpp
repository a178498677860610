// The inner-product kernels against a double-precision reference: dot(),
// dot_rows() and Int8Rows for sizes that are and are not multiples of the vector width,
// and dot_rows() giving each row's sum whatever its position in a block.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "projections/vectors/fast_flat.h"
#include "projections/vectors/int8_rows.h"

using signet::projections::dot;
using signet::projections::dot_rows;

namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

double reference(const float* a, const float* b, size_t d) {
  double s = 0;
  for (size_t i = 0; i < d; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace

TEST_CASE("dot and dot_rows agree with a double-precision sum", "[projections][vectors][kernel]") {
  for (size_t d : {1u, 7u, 8u, 15u, 16u, 17u, 64u, 256u, 384u, 771u}) {
    for (size_t n : {1u, 7u, 8u, 9u, 31u, 256u, 1000u}) {
      auto q = random_floats(d, static_cast<uint32_t>(d));
      auto rows = random_floats(n * d, static_cast<uint32_t>(n * 1000 + d));
      std::vector<float> out(n, -99.0f);
      dot_rows(q.data(), rows.data(), n, d, out.data());
      for (size_t i = 0; i < n; ++i) {
        double want = reference(q.data(), rows.data() + i * d, d);
        double tolerance = 1e-5 * static_cast<double>(d);
        INFO("d=" << d << " n=" << n << " row " << i);
        REQUIRE(std::fabs(out[i] - want) <= tolerance);
        REQUIRE(std::fabs(dot(q.data(), rows.data() + i * d, d) - want) <= tolerance);
      }
    }
  }
}

TEST_CASE("dot_rows writes exactly n results", "[projections][vectors][kernel]") {
  const size_t d = 24, n = 13;
  auto q = random_floats(d, 1);
  auto rows = random_floats(n * d, 2);
  std::vector<float> out(n + 4, 123.0f);
  dot_rows(q.data(), rows.data(), n, d, out.data());
  for (size_t i = n; i < out.size(); ++i) REQUIRE(out[i] == 123.0f);
}

TEST_CASE("int8 codes score unit vectors within 1% of their inner product", "[projections][vectors][kernel][int8]") {
  for (size_t d : {5u, 16u, 32u, 100u, 256u, 768u}) {
    const size_t n = 300;
    auto unit_rows = [&](size_t count, uint32_t seed) {
      auto v = random_floats(count * d, seed);
      for (size_t r = 0; r < count; ++r) {
        double s = 0;
        for (size_t i = 0; i < d; ++i) s += static_cast<double>(v[r * d + i]) * v[r * d + i];
        for (size_t i = 0; i < d; ++i) v[r * d + i] = static_cast<float>(v[r * d + i] / std::sqrt(s));
      }
      return v;
    };
    auto rows = unit_rows(n, static_cast<uint32_t>(d));
    auto q = unit_rows(1, 7);
    signet::projections::Int8Rows codes(d);
    codes.append(rows.data(), 100);  // in two appends: rows keep their place
    codes.append(rows.data() + 100 * d, n - 100);
    REQUIRE(codes.size() == n);
    auto q8 = codes.quantise(q.data());
    std::vector<float> out(n + 1, 42.0f);
    codes.scores(q8, 0, n, out.data());
    REQUIRE(out[n] == 42.0f);
    for (size_t i = 0; i < n; ++i) {
      INFO("d=" << d << " row " << i);
      REQUIRE(std::fabs(out[i] - reference(q.data(), rows.data() + i * d, d)) <= 0.01);
    }
    // Every kernel this CPU runs gives the same integer sums, so the same scores.
    using Kernel = signet::projections::Int8Rows::Kernel;
    for (Kernel k : {Kernel::kVnni, Kernel::kAvx2, Kernel::kScalar}) {
      if (!signet::projections::Int8Rows::cpu_has(k)) continue;
      std::vector<float> by_kernel(n);
      codes.scores(q8, 0, n, by_kernel.data(), k);
      for (size_t i = 0; i < n; ++i) {
        INFO("d=" << d << " row " << i << " kernel " << static_cast<int>(k));
        REQUIRE(by_kernel[i] == out[i]);
        REQUIRE(codes.score(q8, i, k) == out[i]);  // one row at a time, as an HNSW walk asks
      }
    }
    // A window in the middle scores the same rows.
    std::vector<float> window(7);
    codes.scores(q8, 150, 7, window.data());
    for (size_t i = 0; i < 7; ++i) REQUIRE(window[i] == out[150 + i]);
  }
}

TEST_CASE("a zero vector quantises to zeros and scores 0", "[projections][vectors][kernel][int8]") {
  signet::projections::Int8Rows codes(8);
  std::vector<float> zero(8, 0.0f), one = {1, 0, 0, 0, 0, 0, 0, 0};
  codes.append(zero.data(), 1);
  float out = -1;
  codes.scores(codes.quantise(one.data()), 0, 1, &out);
  REQUIRE(out == 0.0f);
  codes.clear();
  REQUIRE(codes.size() == 0);
}
