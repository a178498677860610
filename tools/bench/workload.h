// The benchmark's workload: memory sentences and questions about them, made
// from templates x vocabularies, deterministic for a seed.
//
// Sentence i (0 <= i < capacity()) is template t = i mod T with combination
// perm_t(i / T), where perm_t is an affine permutation of that template's
// combination space (a*k + b mod S_t, gcd(a, S_t) = 1, a and b from the seed).
// So sentences never repeat for i below capacity(), consecutive ones differ in
// every slot, and any i can be made on any thread without shared state.
//
// Question q picks a sentence below `loaded` and a kind (the mix below), all
// from a hash of (seed, q). Questions are not stored; the same (seed, q,
// loaded) always gives the same question.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace signet::bench {

struct Memory {
  std::string content;
  std::string type;               // preference, decision, fact, procedure, ...
  std::vector<std::string> tags;
  std::string project;            // "" when the template has none
  std::string who;                // the harness that wrote it (claude-code, ...)
  double importance = 0.5;
  std::string remember_body() const;  // the JSON body of POST /api/memory/remember
};

enum class QuestionKind : uint8_t {
  kNatural,     // a natural question about a stored memory
  kPartial,     // keywords from a stored memory, some cut to a prefix
  kMisspelled,  // a natural question with one word misspelled
  kNoAnswer,    // about something no memory mentions
};
const char* question_kind_name(QuestionKind k);

struct Question {
  std::string text;
  QuestionKind kind = QuestionKind::kNatural;
  uint64_t source = 0;  // the sentence it is about (meaningless for kNoAnswer)
  std::string recall_body(size_t limit) const;  // POST /api/memory/recall body
};

class Workload {
 public:
  explicit Workload(uint64_t seed);
  ~Workload();

  uint64_t capacity() const;            // distinct sentences available
  Memory memory(uint64_t i) const;      // i < capacity()
  std::string sentence(uint64_t i) const { return memory(i).content; }
  // A question about one of the first `loaded` sentences (loaded >= 1).
  Question question(uint64_t q, uint64_t loaded) const;

  size_t template_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::bench
