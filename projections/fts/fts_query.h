// What a user types -> the Xapian query the full-text projection runs, and
// how a match is scored. Internal to projections/fts; fuzz targets and tests
// call describe_text_query().
//
// Parsing: Xapian::QueryParser with OR as the default operator (any word may
// match; documents matching more words rank higher), English stemming
// (STEM_SOME), an English stopword list (dropped unless the query is nothing
// but stopwords), phrases ("dark mode"; dark-mode is one compound term, see
// compound_terms below), trailing wildcards
// (keyb*) and love/hate (+word, -word). Boolean operators (AND, OR, NOT) are
// not syntax: agents write prose, and "do NOT use tabs" must not exclude
// "tabs". Text the parser refuses becomes a plain OR of its words. Nothing
// here throws.
//
// Scoring: CoordinatedBm25Weight ranks by the number of query terms a
// document matches, then by BM25 (see fts_query.cpp for the formula and why).
#pragma once

#include <xapian.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace signet::projections::fts {

// Text beyond this is ignored (cut at a character boundary): a query is a
// question, not a document, and the bound keeps parsing and matching cheap.
inline constexpr size_t kQueryTextBytesMax = 4096;
// A wildcard (keyb*) expands to at most this many of the most frequent terms.
inline constexpr Xapian::termcount kWildcardExpansionMax = 64;

struct TextQuery {
  Xapian::Query query;      // empty: nothing to search for (no hits)
  uint32_t term_count = 0;  // weighted query terms: the most a document can match
  bool fell_back = false;   // the parser refused the text; plain OR of its words
};

// Whether the index has a term; empty: assume it has every compound term.
using TermKnown = std::function<bool(const std::string& term)>;
// Never throws. A hyphenated word becomes its compound term only where
// `known` says the index has it, so that "dark-mode" still finds "dark mode"
// as a phrase in a store that never wrote it with a hyphen.
TextQuery parse_text_query(std::string_view text, const TermKnown& known = {});
// `text` with each candidate word (at least kSpellingWordBytesMin bytes, not a
// stopword, not ending in a wildcard: keyb* is a prefix, not a typo) replaced
// by what `correct` says, e.g. correct_word() or a memo of it: "keybindngs"
// -> "keybindings". Everything else is kept as typed. Never throws.
inline constexpr size_t kSpellingWordBytesMin = 5;  // shorter words have too many neighbours
using WordCorrector = std::function<std::string(const std::string& word)>;
std::string correct_spelling(std::string_view text, const WordCorrector& correct);
// One candidate word: itself if the index has it or its stem, else the
// closest spelling within two edits, else itself. May throw Xapian::Error.
std::string correct_word(const Xapian::Database& db, const std::string& word);
// Hyphenated words ("search-proxy", "on-call") are indexed whole as well as
// word by word: kCompoundPrefix + the lower-cased word, without positions. A
// query looks such a word up as that one term where it used to match the
// phrase of its parts, which walked both parts' posting lists (all of "on"
// for "on-call") and checked positions in every document having both: the
// slowest questions at 1M memories were these.
inline constexpr std::string_view kCompoundPrefix = "XCMP:";
inline constexpr size_t kCompoundBytesMax = 160;  // longer ones are matched as phrases only
// The compound terms of `text`: each run of words joined by single hyphens,
// lower-cased, prefixed. May repeat a term. Never throws but for bad_alloc.
std::vector<std::string> compound_terms(std::string_view text);
// The plain OR of the (stemmed, stopped) words of `text`; the parser's fallback.
TextQuery plain_text_query(std::string_view text);
// parse_text_query(text) as a string (Xapian's description, plus the term
// count and whether it fell back). For fuzzing and tests; never throws.
std::string describe_text_query(std::string_view text);

// BM25 with b = 0 and k1 = kTermFrequencyK1, plus kMatchBonus for every
// query term a document matches, so a document matching more query terms
// always outranks one matching fewer, and BM25 orders documents matching the
// same number. A wildcard's expansion counts as one term; each word of a
// phrase counts. The bonus is far above any BM25 sum a bounded query can
// reach, so a weight splits back exactly into (matched terms, BM25).
//
// b = 0: no length normalisation, so the matcher never reads document
// lengths (a third of its time at 10k memories).
//
// k1 = 0.05: a word's weight is nearly its idf whether it occurs once or five
// times; a repetition only breaks ties. Memories are a sentence or a few, so
// repetition says little. What it buys: Xapian bounds a term's weight
// with the largest wdf anywhere in the index, and with k1 = 1 that bound was
// up to 1.67 times what the term gives almost every document. The matcher
// skips whole posting lists only when the weight still needed exceeds those
// bounds, so loose bounds meant walking them. With k1 = 0.05 the bound is at
// most 1.05 times it: keyword search at 1M memories, mean 1.18 -> 0.81 ms and
// p99 4.3 -> 3.1 ms; answer rates moved by a question or two either way.
// k1 > 0 matters: at 0 every document with the same words weighs the same,
// and the matcher can rule out only what weighs less than its page, never
// what ties with it (a query whose one known word is in 55k memories took
// 4.6 ms instead of 0.9).
class CoordinatedBm25Weight final : public Xapian::BM25Weight {
 public:
  static constexpr double kMatchBonus = 1e6;

  static constexpr double kTermFrequencyK1 = 0.05;

  CoordinatedBm25Weight() : Xapian::BM25Weight(/*k1=*/kTermFrequencyK1, /*k2=*/0, /*k3=*/1, /*b=*/0, /*min_normlen=*/0.5) {}
  CoordinatedBm25Weight* clone() const override { return new CoordinatedBm25Weight(); }
  std::string name() const override { return "signet::CoordinatedBm25Weight"; }
  double get_sumpart(Xapian::termcount wdf, Xapian::termcount doclen, Xapian::termcount uniqterms) const override {
    return kMatchBonus + BM25Weight::get_sumpart(wdf, doclen, uniqterms);
  }
  double get_maxpart() const override { return kMatchBonus + BM25Weight::get_maxpart(); }
};

struct WeightParts {
  uint32_t matched_terms = 0;
  double bm25 = 0;
};
WeightParts split_weight(double weight);

// In (0, 1]: (matched + bm25 / bm25_max) / (term_count + 1). See fts_query.cpp.
double normalised_score(const WeightParts& parts, double bm25_max, uint32_t term_count);

}  // namespace signet::projections::fts
