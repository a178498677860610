#include "projections/fts/fts_query.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <optional>
#include <set>
#include <vector>

namespace signet::projections::fts {
namespace {

// The Snowball English stop list (the one Xapian's Omega uses), lower case.
// Only function words: "user", "prefer", "use" and the like stay searchable.
constexpr const char* kEnglishStopwords[] = {
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "aren't", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can't",
    "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down",
    "during", "each", "few", "for", "from", "further", "had", "hadn't", "has", "hasn't", "have", "haven't",
    "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself", "him", "himself",
    "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "isn't", "it",
    "it's", "its", "itself", "let's", "me", "more", "most", "mustn't", "my", "myself", "no", "nor", "not",
    "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over",
    "own", "same", "shan't", "she", "she'd", "she'll", "she's", "should", "shouldn't", "so", "some", "such",
    "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "there's",
    "these", "they", "they'd", "they'll", "they're", "they've", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were",
    "weren't", "what", "what's", "when", "when's", "where", "where's", "which", "while", "who", "who's",
    "whom", "why", "why's", "with", "won't", "would", "wouldn't", "you", "you'd", "you'll", "you're",
    "you've", "your", "yours", "yourself", "yourselves",
};

// Built once and shared by all threads: SimpleStopper only reads its set, and
// an object never release()d has no reference count for set_stopper() to
// touch (unlike Xapian::Query, whose counts are not atomic).
const Xapian::SimpleStopper& english_stopper() {
  static const Xapian::SimpleStopper stopper(std::begin(kEnglishStopwords), std::end(kEnglishStopwords));
  return stopper;
}

// The terms a stopword becomes in a parsed query: as typed, and stemmed.
bool is_stop_term(const std::string& term) {
  static const std::set<std::string> terms = [] {
    std::set<std::string> out;
    Xapian::Stem stem("english");
    for (const char* w : kEnglishStopwords) {
      out.insert(w);
      std::string stemmed = "Z";  // appended, not "Z" + ...: GCC 12 warns falsely (-Wrestrict) on that
      stemmed += stem(w);
      out.insert(std::move(stemmed));
    }
    return out;
  }();
  return terms.count(term) > 0;
}

// TermGenerator skips longer words (its default max_word_length), so a longer
// query word can never match.
constexpr size_t kWordBytesMax = 64;

// Lower-cased (so a sentence's first word is stemmed like the rest: the
// parser leaves Capitalised words unstemmed as proper nouns), NUL and other
// control characters as spaces, invalid UTF-8 read as Latin-1 (Xapian's
// rule), cut at kQueryTextBytesMax on a character boundary.
std::string normalise_text(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kQueryTextBytesMax));
  for (Xapian::Utf8Iterator it(text.data(), text.size()); it != Xapian::Utf8Iterator(); ++it) {
    unsigned cp = *it;
    if (cp < 0x20 || cp == 0x7f) cp = ' ';
    std::string ch;
    Xapian::Unicode::append_utf8(ch, Xapian::Unicode::tolower(cp));
    if (out.size() + ch.size() > kQueryTextBytesMax) break;
    out += ch;
  }
  return out;
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' '; });
}

// The term TermGenerator (STEM_SOME) indexes for the stem of `word`: Z + stem,
// except that words starting with a digit are not stemmed.
std::string stemmed_term(const Xapian::Stem& stem, const std::string& word) {
  if (word.empty()) return word;
  if (word[0] >= '0' && word[0] <= '9') return word;
  std::string term = "Z";
  term += stem(word);
  return term;
}

// Words as TermGenerator roughly sees them: runs of word characters, with an
// apostrophe kept between two of them ("user's").
std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && word.size() <= kWordBytesMax) words.push_back(word);
    word.clear();
  };
  Xapian::Utf8Iterator it(text), end;
  while (it != end) {
    unsigned cp = *it;
    ++it;
    if (Xapian::Unicode::is_wordchar(cp)) {
      Xapian::Unicode::append_utf8(word, cp);
    } else if ((cp == '\'' || cp == 0x2019) && !word.empty() && it != end && Xapian::Unicode::is_wordchar(*it)) {
      word += '\'';
    } else {
      flush();
    }
  }
  flush();
  return words;
}

// Stopwords dropped unless nothing else is left, then stemmed and de-duplicated.
std::vector<std::string> plain_terms(const std::vector<std::string>& words) {
  const Xapian::SimpleStopper& stopper = english_stopper();
  bool all_stopwords = std::all_of(words.begin(), words.end(), [&](const std::string& w) { return stopper(w); });
  Xapian::Stem stem("english");
  std::vector<std::string> terms;
  std::set<std::string> seen;
  for (const std::string& w : words) {
    if (!all_stopwords && stopper(w)) continue;
    std::string term = stemmed_term(stem, w);
    if (seen.insert(term).second) terms.push_back(std::move(term));
  }
  return terms;
}

Xapian::Query or_of(const std::vector<std::string>& terms) {
  std::vector<Xapian::Query> leaves;
  leaves.reserve(terms.size());
  for (const auto& t : terms) leaves.emplace_back(t);
  if (leaves.empty()) return Xapian::Query();
  if (leaves.size() == 1) return leaves[0];
  return Xapian::Query(Xapian::Query::OP_OR, leaves.begin(), leaves.end());
}

// The query terms a document can match, each contributing one kMatchBonus in
// the matcher: every weighted leaf. A wildcard is one (its expansion is an
// OP_SYNONYM: one weight); the right-hand side of AND_NOT carries no weight.
uint32_t count_weighted_terms(const Xapian::Query& q) {
  switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM:
    case Xapian::Query::OP_WILDCARD:
    case Xapian::Query::OP_SYNONYM:
      return 1;
    case Xapian::Query::LEAF_MATCH_ALL:
    case Xapian::Query::LEAF_MATCH_NOTHING:
    case Xapian::Query::LEAF_POSTING_SOURCE:
    case Xapian::Query::OP_VALUE_RANGE:
    case Xapian::Query::OP_VALUE_GE:
    case Xapian::Query::OP_VALUE_LE:
      return 0;
    case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_FILTER:
      return q.get_num_subqueries() ? count_weighted_terms(q.get_subquery(0)) : 0;
    default: {
      uint32_t n = 0;
      for (size_t i = 0; i < q.get_num_subqueries(); ++i) n += count_weighted_terms(q.get_subquery(i));
      return n;
    }
  }
}

// Two rewrites of the parsed query, so that matched terms count distinct words:
//  - a word repeated under an OR ("vim vim editor") is kept once;
//  - a phrase alone would drop documents that have its words apart, so each
//    phrase also brings its words as loose terms: the exact phrase matches
//    them twice and ranks first, the words apart still match. Under an OR
//    (the default operator) the loose terms join it unless already there;
//    under the love/hate operators the phrase becomes (phrase OR loose
//    words), which keeps +/- meaning what they said.
// And a phrase that is a hyphenated word of the text becomes its compound
// term (kCompoundPrefix), which needs no positions; a quoted phrase stays one.
Xapian::Query refine(const Xapian::Query& q, const std::set<std::string>& compounds) {
  using Q = Xapian::Query;
  // A phrase of the parts of a hyphenated word of the text: its compound term.
  auto compound_of = [&](const Q& phrase) -> std::optional<Q> {
    std::string term(kCompoundPrefix);
    size_t n = 0;
    for (auto t = phrase.get_terms_begin(); t != phrase.get_terms_end(); ++t, ++n) {
      if (n) term += '-';
      term += *t;
    }
    if (n < 2 || !compounds.count(term)) return std::nullopt;
    return Q(term);
  };
  auto loose_words = [&](const Q& phrase) {
    std::vector<std::string> words;
    for (auto t = phrase.get_terms_begin(); t != phrase.get_terms_end(); ++t) words.push_back(*t);
    return plain_terms(words);
  };
  switch (q.get_type()) {
    case Q::OP_PHRASE:
    case Q::OP_NEAR: {
      Q exact = q.get_type() == Q::OP_PHRASE ? compound_of(q).value_or(q) : q;
      Q loose = or_of(loose_words(q));
      return loose.empty() ? exact : Q(Q::OP_OR, exact, loose);
    }
    case Q::OP_OR: {
      // Xapian's parser keeps stopwords in a query that has a phrase in it
      // ("where are the coral-narwhal backups"): "the" then matched 72% of
      // a 1M store, counted as a matched word, and cost most of the match.
      // Dropped here, unless nothing else is left.
      std::vector<Q> subs;
      std::set<std::string> leaf_terms;
      size_t stopped = 0;
      auto add_leaf = [&](const std::string& term) {
        if (is_stop_term(term)) {
          ++stopped;
          return;
        }
        if (leaf_terms.insert(term).second) subs.emplace_back(term);
      };
      for (size_t i = 0; i < q.get_num_subqueries(); ++i) {
        Q sub = q.get_subquery(i);
        Q::op type = sub.get_type();
        if (type == Q::LEAF_TERM && sub.get_terms_begin() != sub.get_terms_end()) {
          add_leaf(*sub.get_terms_begin());
        } else if (type == Q::OP_PHRASE || type == Q::OP_NEAR) {
          subs.push_back(type == Q::OP_PHRASE ? compound_of(sub).value_or(sub) : sub);
          for (const auto& term : loose_words(sub)) add_leaf(term);
        } else {
          subs.push_back(refine(sub, compounds));
        }
      }
      if (subs.empty() && stopped > 0) return q;  // nothing but stopwords: search for them
      if (subs.size() == 1) return subs[0];
      return Q(Q::OP_OR, subs.begin(), subs.end());
    }
    case Q::OP_AND:
    case Q::OP_AND_MAYBE:
    case Q::OP_AND_NOT: {
      std::vector<Q> subs;
      for (size_t i = 0; i < q.get_num_subqueries(); ++i) {
        Q sub = q.get_subquery(i);
        // What AND_NOT excludes stays exactly as typed.
        subs.push_back(q.get_type() == Q::OP_AND_NOT && i > 0 ? sub : refine(sub, compounds));
      }
      if (subs.size() < 2) return subs.empty() ? Q() : subs[0];
      return Q(q.get_type(), subs.begin(), subs.end());
    }
    default:
      return q;
  }
}

TextQuery plain_from_normalised(const std::string& text) {
  TextQuery out;
  out.fell_back = true;
  try {
    out.query = or_of(plain_terms(split_words(text)));
    out.term_count = count_weighted_terms(out.query);
  } catch (const Xapian::Error&) {
    out = TextQuery{Xapian::Query(), 0, true};  // nothing to search for rather than a failed search
  } catch (const std::exception&) {
    out = TextQuery{Xapian::Query(), 0, true};
  }
  return out;
}

}  // namespace

std::vector<std::string> compound_terms(std::string_view text) {
  std::vector<std::string> out;
  std::string current;  // word(-word)* so far
  size_t parts = 0;
  bool in_word = false, after_hyphen = false;
  auto flush = [&] {
    if (after_hyphen) current.pop_back();  // "re- use": the hyphen joins nothing
    if (parts >= 2 && current.size() <= kCompoundBytesMax) out.push_back(std::string(kCompoundPrefix) + current);
    current.clear();
    parts = 0;
    in_word = after_hyphen = false;
  };
  for (Xapian::Utf8Iterator it(text.data(), text.size()); it != Xapian::Utf8Iterator(); ++it) {
    unsigned cp = *it;
    if (Xapian::Unicode::is_wordchar(cp)) {
      if (!in_word) ++parts;
      in_word = true;
      after_hyphen = false;
      Xapian::Unicode::append_utf8(current, Xapian::Unicode::tolower(cp));
    } else if (cp == '-' && in_word) {
      in_word = false;
      after_hyphen = true;
      current += '-';
    } else {
      flush();
    }
  }
  flush();
  return out;
}

TextQuery plain_text_query(std::string_view text) { return plain_from_normalised(normalise_text(text)); }

TextQuery parse_text_query(std::string_view text, const TermKnown& known) {
  std::string normalised = normalise_text(text);
  if (blank(normalised)) return {};
  try {
    Xapian::Stem stem("english");
    Xapian::QueryParser parser;
    parser.set_stemmer(stem);
    parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    // The parser keeps stopwords when the query has nothing else ("the who").
    parser.set_stopper(&english_stopper());
    parser.set_default_op(Xapian::Query::OP_OR);
    parser.set_max_expansion(kWildcardExpansionMax, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
                             Xapian::QueryParser::FLAG_WILDCARD);
    // No FLAG_PARTIAL: queries are finished questions, not search-as-you-type,
    // and expanding the last word ("use" -> user, useful, ...) adds noise.
    unsigned flags =
        Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_WILDCARD | Xapian::QueryParser::FLAG_LOVEHATE;
    TextQuery out;
    out.query = parser.parse_query(normalised, flags);
    std::set<std::string> compounds;
    for (auto& term : compound_terms(normalised))
      if (!compounds.count(term) && (!known || known(term))) compounds.insert(std::move(term));
    out.query = refine(out.query, compounds);
    out.term_count = count_weighted_terms(out.query);
    return out;
  } catch (const Xapian::Error&) {  // QueryParserError for syntax it refuses; anything else odd too
    return plain_from_normalised(normalised);
  } catch (const std::exception&) {
    return plain_from_normalised(normalised);
  }
}

std::string correct_word(const Xapian::Database& db, const std::string& word) {
  thread_local const Xapian::Stem stem("english");  // per thread: Stem's reference count is not atomic
  if (db.get_termfreq(word) != 0 || db.get_termfreq(stemmed_term(stem, word)) != 0) return word;
  std::string suggestion = db.get_spelling_suggestion(word, 2);
  return suggestion.empty() ? word : suggestion;
}

std::string correct_spelling(std::string_view text, const WordCorrector& correct) {
  try {
    std::string normalised = normalise_text(text);
    const Xapian::SimpleStopper& stopper = english_stopper();
    std::string out;
    out.reserve(normalised.size());
    std::string word;
    bool changed = false;
    auto flush = [&](bool wildcard) {
      if (word.empty()) return;
      if (!wildcard && word.size() >= kSpellingWordBytesMin && word.size() <= kWordBytesMax && !stopper(word)) {
        std::string fixed = correct(word);
        if (fixed != word) {
          out += fixed;
          changed = true;
          word.clear();
          return;
        }
      }
      out += word;
      word.clear();
    };
    Xapian::Utf8Iterator it(normalised), end;
    while (it != end) {
      unsigned cp = *it;
      ++it;
      if (Xapian::Unicode::is_wordchar(cp)) {
        Xapian::Unicode::append_utf8(word, cp);
      } else {
        flush(cp == '*');
        Xapian::Unicode::append_utf8(out, cp);
      }
    }
    flush(false);
    return changed ? out : std::string(text);
  } catch (const Xapian::Error&) {
    return std::string(text);
  } catch (const std::exception&) {
    return std::string(text);
  }
}


std::string describe_text_query(std::string_view text) {
  try {
    TextQuery q = parse_text_query(text);
    return q.query.get_description() + " terms=" + std::to_string(q.term_count) + (q.fell_back ? " fallback" : "");
  } catch (const std::exception& e) {  // only allocation failure can get here
    return std::string("error: ") + e.what();
  }
}

WeightParts split_weight(double weight) {
  WeightParts p;
  if (!(weight > 0)) return p;
  // Bonuses are exact multiples and BM25 parts are positive, so the floor is
  // the number of matched terms whatever the order of summation.
  double matched = std::floor(weight / CoordinatedBm25Weight::kMatchBonus);
  p.matched_terms = static_cast<uint32_t>(matched);
  p.bm25 = weight - matched * CoordinatedBm25Weight::kMatchBonus;
  return p;
}

// score = (m + b / b_max) / (n + 1), where m is the number of query terms the
// document matches, n the number of query terms, b its BM25 weight and b_max
// the best BM25 weight among the hits of this search.
//  - The best complete match (m = n, b = b_max) scores exactly 1.
//  - Each matched term is worth a step of 1 / (n + 1) and the BM25 part is
//    worth less than one step, so a document matching more terms always
//    scores higher than one matching fewer, whatever BM25 says.
//  - The term fraction dominates, so a score means about the same in any
//    query ("0.5: about half the words"), which blending with cosine
//    similarities needs. Xapian's get_percent() scales only the top hit by
//    the fraction of terms it matched and every other hit by its weight
//    relative to the top, so a short document matching fewer terms can
//    outscore a long one matching more.
double normalised_score(const WeightParts& parts, double bm25_max, uint32_t term_count) {
  double n = std::max<double>(term_count, parts.matched_terms);
  double bm25_fraction = bm25_max > 0 ? std::clamp(parts.bm25 / bm25_max, 0.0, 1.0) : 1.0;
  double score = (parts.matched_terms + bm25_fraction) / (n + 1);
  // (0, 1]: a hit always matched something.
  return std::clamp(score, 1e-9, 1.0);
}

}  // namespace signet::projections::fts
