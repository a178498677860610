// Vector helpers every embedding provider shares: L2 normalisation, and the
// one fixed vector given to text with nothing to embed.
#pragma once

#include <span>
#include <string_view>

namespace signet::engine {

// Scales `v` to unit length. False (and `v` untouched) when its norm is zero
// or not finite: such a vector has no direction and must not be stored.
bool l2_normalize(std::span<float> v);

// Empty or whitespace-only (ASCII) text.
bool is_blank(std::string_view text);

// The vector for text with nothing to embed: ±1/sqrt(n) with fixed,
// hash-derived signs. Identical for every blank text, unit length, and
// near-orthogonal to real text (cosine ~ N(0, 1/n)), so a blank memory
// neither errors out of a batch nor matches everything.
void fill_blank_text_vector(std::span<float> v);

}  // namespace signet::engine
