#include "engine/embedding/builtin_embedder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "engine/embedding/unit_vector.h"

namespace signet::engine {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;
constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

constexpr uint64_t fnv1a_step(uint64_t h, unsigned char c) { return (h ^ c) * kFnvPrime; }

constexpr uint64_t fnv1a(std::string_view s) {
  uint64_t h = kFnvOffset;
  for (char c : s) h = fnv1a_step(h, static_cast<unsigned char>(c));
  return h;
}

// murmur3's finaliser: FNV-1a alone leaves the high bits, which pick the
// dimension, poorly mixed for short inputs.
constexpr uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

// A tag per kind keeps a unigram "ing" apart from the character gram "ing".
enum class Kind : uint64_t { kUnigram = 1, kBigram = 2, kCharGram = 3 };

constexpr uint64_t feature_hash(Kind kind, uint64_t base) {
  return fmix64(base ^ (static_cast<uint64_t>(kind) * kGolden));
}

constexpr float kUnigramWeight = 1.0f;
constexpr float kStopwordWeight = 0.15f;
constexpr float kBigramWeight = 0.7f;
constexpr float kCharGramMass = 0.8f;  // L2 mass of a word's char grams / its unigram weight
constexpr size_t kCharGramWordMin = 3;
constexpr size_t kWordBytesMax = 64;  // longer tokens: one unstemmed unigram

constexpr std::string_view kStopwords[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "cant", "could", "did", "didnt", "do", "does", "doesnt", "doing", "dont",
    "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having",
    "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in",
    "into", "is", "isnt", "it", "its", "itself", "just", "me", "more", "most", "my", "myself",
    "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
    "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than",
    "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
    "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "wasnt",
    "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
    "with", "wont", "would", "you", "your", "yours", "yourself", "yourselves"};
constexpr size_t kStopwordBytesMax = 10;  // "yourselves"

constexpr auto kStopwordHashes = [] {
  std::array<uint64_t, std::size(kStopwords)> hashes{};
  for (size_t i = 0; i < hashes.size(); ++i) hashes[i] = fnv1a(kStopwords[i]);
  std::sort(hashes.begin(), hashes.end());
  return hashes;
}();

static_assert(std::adjacent_find(kStopwordHashes.begin(), kStopwordHashes.end()) == kStopwordHashes.end(),
              "stopword list has a duplicate or an FNV collision");

bool is_stopword(uint64_t word_hash, size_t len) {
  return len <= kStopwordBytesMax &&
         std::binary_search(kStopwordHashes.begin(), kStopwordHashes.end(), word_hash);
}

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

unsigned char ascii_lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

// Length of an in-word apostrophe at text[i] (' or U+2019 as E2 80 99), else 0.
size_t apostrophe_at(std::string_view text, size_t i) {
  if (text[i] == '\'') return 1;
  if (static_cast<unsigned char>(text[i]) == 0xE2 && i + 2 < text.size() &&
      static_cast<unsigned char>(text[i + 1]) == 0x80 && static_cast<unsigned char>(text[i + 2]) == 0x99)
    return 3;
  return 0;
}

bool ends_with(const char* w, size_t len, std::string_view suffix) {
  return len >= suffix.size() && std::memcmp(w + len - suffix.size(), suffix.data(), suffix.size()) == 0;
}

bool is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// "runn" -> "run", "stopp" -> "stop"; not l/s/z ("fall", "pass", "buzz").
size_t undouble(const char* w, size_t len) {
  if (len >= 2 && w[len - 1] == w[len - 2]) {
    const char c = w[len - 1];
    if (c >= 'a' && c <= 'z' && !is_vowel(c) && c != 'l' && c != 's' && c != 'z') return len - 1;
  }
  return len;
}

// Stems w[0, len) in place (it only shortens, and ies/ied -> y rewrites one
// byte); returns the new length. Rules: builtin_embedder.h.
size_t stem_in_place(char* w, size_t len) {
  if (len <= 3) return len;
  // Plurals.
  if (ends_with(w, len, "sses")) {
    len -= 2;
  } else if (ends_with(w, len, "ies") && len >= 5) {
    len -= 2;
    w[len - 1] = 'y';
  } else if (w[len - 1] == 's' && !ends_with(w, len, "ss") && !ends_with(w, len, "us") &&
             !ends_with(w, len, "is")) {
    len -= 1;
  }
  // Verb and noun endings: at most one.
  if (ends_with(w, len, "ing") && len >= 6) {
    len = undouble(w, len - 3);
  } else if (ends_with(w, len, "ied") && len >= 5) {
    len -= 2;
    w[len - 1] = 'y';
  } else if (ends_with(w, len, "ed") && len >= 5 && w[len - 3] != 'e' &&  // "speed", "proceed"
             !(len == 5 && std::memcmp(w, "embed", 5) == 0)) {
    len = undouble(w, len - 2);
  } else if (ends_with(w, len, "ation") && len >= 8) {
    len -= 2;  // "migration" -> "migrate", then -e below: "migrat" like "migrated"
    w[len - 1] = 'e';
  }
  // After -ed so "implemented" and "implement" meet.
  if (ends_with(w, len, "ment") && len >= 8) len -= 4;
  if (len >= 4 && w[len - 1] == 'e') --len;
  return len;
}

// The features of one text, deduplicated so repeats can be weighed
// sublinearly: open addressing keyed by feature hash. Slots are cleared by
// bumping `generation`, so a text costs nothing per unused slot; `used` keeps
// insertion order so the final sums run in a fixed order.
class FeatureTable {
 public:
  void clear() {
    used_.clear();
    if (++generation_ == 0) {  // wrapped: stale slots could look current
      for (Slot& s : slots_) s.generation = 0;
      generation_ = 1;
    }
  }

  void add(uint64_t hash, float weight) {
    if ((used_.size() + 1) * 2 > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = static_cast<size_t>(hash) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.generation != generation_) {
        s = Slot{hash, weight, 1, generation_};
        used_.push_back(static_cast<uint32_t>(i));
        return;
      }
      if (s.hash == hash) {
        s.weight_sum += weight;
        ++s.count;
        return;
      }
    }
  }

  // Adds every feature, weight_sum / sqrt(count) (= mean weight * sqrt(count)),
  // to its signed dimension.
  void scatter(std::span<float> out) const {
    const uint64_t dims = out.size();
    for (uint32_t i : used_) {
      const Slot& s = slots_[i];
      float w = s.count == 1 ? s.weight_sum : s.weight_sum / std::sqrt(static_cast<float>(s.count));
      const size_t d = static_cast<size_t>(((s.hash >> 32) * dims) >> 32);
      out[d] += (s.hash & 1) ? -w : w;
    }
  }

  bool empty() const { return used_.empty(); }

 private:
  struct Slot {
    uint64_t hash = 0;
    float weight_sum = 0;
    uint32_t count = 0;
    uint32_t generation = 0;
  };

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    std::vector<uint32_t> old_used = std::move(used_);
    slots_.assign(old.empty() ? 512 : old.size() * 2, Slot{});
    used_.clear();
    used_.reserve(slots_.size() / 2);
    const size_t mask = slots_.size() - 1;
    for (uint32_t o : old_used) {  // re-inserted in the same order
      size_t i = static_cast<size_t>(old[o].hash) & mask;
      while (slots_[i].generation == generation_) i = (i + 1) & mask;
      slots_[i] = old[o];
      used_.push_back(static_cast<uint32_t>(i));
    }
  }

  std::vector<Slot> slots_;
  std::vector<uint32_t> used_;
  uint32_t generation_ = 1;
};

void add_word(FeatureTable& table, const char* word, size_t len, uint64_t word_hash, bool all_digits,
              uint64_t* prev_stem_hash, bool* have_prev) {
  if (is_stopword(word_hash, len)) {
    table.add(feature_hash(Kind::kUnigram, word_hash), kStopwordWeight);
    return;
  }
  char stem[kWordBytesMax];
  std::memcpy(stem, word, len);
  const size_t stem_len = all_digits ? len : stem_in_place(stem, len);
  const uint64_t stem_hash = fnv1a(std::string_view(stem, stem_len));
  table.add(feature_hash(Kind::kUnigram, stem_hash), kUnigramWeight);
  if (*have_prev) {
    table.add(feature_hash(Kind::kBigram, fmix64(*prev_stem_hash + kGolden) ^ stem_hash), kBigramWeight);
  }
  *prev_stem_hash = stem_hash;
  *have_prev = true;

  if (all_digits || len < kCharGramWordMin) return;
  char marked[kWordBytesMax + 2];
  marked[0] = '<';
  std::memcpy(marked + 1, word, len);
  marked[len + 1] = '>';
  const size_t marked_len = len + 2;
  const size_t grams = (marked_len - 2) + (marked_len - 3);
  const float gram_weight = kCharGramMass * kUnigramWeight / std::sqrt(static_cast<float>(grams));
  for (size_t n = 3; n <= 4; ++n) {
    for (size_t s = 0; s + n <= marked_len; ++s) {
      uint64_t h = kFnvOffset;
      for (size_t k = 0; k < n; ++k) h = fnv1a_step(h, static_cast<unsigned char>(marked[s + k]));
      table.add(feature_hash(Kind::kCharGram, h), gram_weight);
    }
  }
}

void extract_features(std::string_view text, FeatureTable& table) {
  char word[kWordBytesMax];
  uint64_t prev_stem_hash = 0;
  bool have_prev = false;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    // A token starts on a word byte that is not an apostrophe's.
    while (i < n && (!is_word_byte(static_cast<unsigned char>(text[i])) || apostrophe_at(text, i) != 0)) ++i;
    if (i == n) break;
    size_t len = 0;  // bytes kept in `word`
    size_t full_len = 0;
    uint64_t hash = kFnvOffset;  // of the whole lower-cased token
    bool all_digits = true;
    while (i < n) {
      // Before the word-byte test: U+2019's bytes are non-ASCII word bytes.
      const size_t apostrophe = apostrophe_at(text, i);
      if (apostrophe != 0) {
        if (i + apostrophe < n && is_word_byte(static_cast<unsigned char>(text[i + apostrophe])) &&
            apostrophe_at(text, i + apostrophe) == 0) {
          i += apostrophe;  // "user's" -> "users"
          continue;
        }
        break;
      }
      const auto c = static_cast<unsigned char>(text[i]);
      if (is_word_byte(c)) {
        const unsigned char lc = ascii_lower(c);
        hash = fnv1a_step(hash, lc);
        if (len < kWordBytesMax) word[len++] = static_cast<char>(lc);
        ++full_len;
        all_digits = all_digits && c >= '0' && c <= '9';
        ++i;
        continue;
      }
      break;
    }
    if (full_len > kWordBytesMax) {
      table.add(feature_hash(Kind::kUnigram, hash), kUnigramWeight);
      prev_stem_hash = hash;
      have_prev = true;
      continue;
    }
    add_word(table, word, len, hash, all_digits, &prev_stem_hash, &have_prev);
  }
}

}  // namespace

Result<std::unique_ptr<BuiltinEmbedder>> BuiltinEmbedder::create(uint32_t dims) {
  if (dims < kDimsMin || dims > kDimsMax) {
    return Status::InvalidArgument("embedding.dimensions for the builtin provider must be in [" +
                                   std::to_string(kDimsMin) + ", " + std::to_string(kDimsMax) +
                                   "], got " + std::to_string(dims));
  }
  return std::unique_ptr<BuiltinEmbedder>(new BuiltinEmbedder(dims));
}

void BuiltinEmbedder::embed_into(std::string_view text, std::span<float> out) const {
  SIGNET_ASSERT(out.size() == dims_);
  // One table per thread: embed() may run on several threads, and reusing it
  // keeps the hot loop free of allocations.
  thread_local FeatureTable table;
  table.clear();
  extract_features(text, table);
  std::fill(out.begin(), out.end(), 0.0f);
  table.scatter(out);
  // Features that cancel exactly (opposite signs, same dimension) can leave
  // zero even when there were tokens.
  if (table.empty() || !l2_normalize(out)) fill_blank_text_vector(out);
}

Result<std::vector<std::vector<float>>> BuiltinEmbedder::embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out(texts.size(), std::vector<float>(dims_));
  for (size_t i = 0; i < texts.size(); ++i) embed_into(texts[i], out[i]);
  return out;
}

std::string builtin_stem(std::string_view word) {
  if (word.size() > kWordBytesMax) return std::string(word);
  char buf[kWordBytesMax];
  std::memcpy(buf, word.data(), word.size());
  return std::string(buf, stem_in_place(buf, word.size()));
}

}  // namespace signet::engine
