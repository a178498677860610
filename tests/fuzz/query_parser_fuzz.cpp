// Fuzz target for the search query text parser (projections/fts/fts_query.h):
// whatever a user types into recall, /api/memory/search or /memory/search.
//
// Checked on any text:
//  - describe_text_query, parse_text_query and plain_text_query never crash
//    or throw (no try here), and the term count stays bounded;
//  - a search of the text on a small fixed index (twelve memories, built once
//    per process in a scratch directory) succeeds, returns at most `limit`
//    hits, only of memories that exist, each once, with scores in (0, 1],
//    best first.
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/memory_events.h"
#include "engine/memory_record.h"
#include "projections/fts/fts_projection.h"
#include "projections/fts/fts_query.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_workspace.h"

using namespace signet;
using namespace signet::projections;

namespace {

struct Seed {
  const char* id;
  const char* content;
  const char* type;
  std::vector<std::string> tags;
  const char* who;
};

const std::vector<Seed>& seeds() {
  static const std::vector<Seed> s = {
      {"m01", "User prefers vim keybindings in every editor", "preference", {"editor", "vim"}, "claude-code"},
      {"m02", "User prefers dark mode in the terminal and in the editor", "preference", {"ui"}, "claude-code"},
      {"m03", "We deploy the API to production every Tuesday after the review", "decision", {"deploy"}, "bob"},
      {"m04", "Decided to use PostgreSQL instead of MySQL for the analytics database", "decision", {"db"}, "alice"},
      {"m05", "Never use tabs for indentation in Python files; use four spaces", "rule", {"style"}, "claude-code"},
      {"m06", "API keys are stored in the vault, never in the repository", "rule", {"security"}, "alice"},
      {"m07", "Backups of the journal run nightly at 02:00 UTC", "fact", {"ops"}, "carol"},
      {"m08", "Redis is used as the session cache for the web app", "fact", {"infra"}, "bob"},
      {"m09", "L'équipe préfère le café noir, sans sucre — très fort", "preference", {"people"}, "alice"},
      {"m10", "Der Kunde möchte die Rechnung als PDF; 東京 office uses UTF-8 everywhere", "fact", {"billing"}, "carol"},
      {"m11", "keyboard keyboards keyb* \"quoted phrase\" +love -hate AND OR NOT", "fact", {"syntax"}, "bob"},
      {"m12", "do NOT use tabs: the the the a an of", "rule", {"style"}, "claude-code"},
  };
  return s;
}

// Members in this order: the index closes before its directory goes.
struct Index {
  fuzz::FuzzWorkspace dir{"fts-fuzz"};
  std::unique_ptr<FtsProjection> fts;
  std::set<std::string> ids;

  Index() {
    auto opened = FtsProjection::open(dir.path() + "/fts");
    FUZZ_CHECK(opened.ok(), opened.status().ToString().c_str());
    fts = std::move(*opened);
    std::vector<journal::Event> events;
    uint64_t seq = 0;
    for (const Seed& s : seeds()) {
      engine::Remembered r;
      r.id = s.id;
      r.content = s.content;
      r.content_hash = std::string("hash-") + s.id;
      r.type = s.type;
      r.tags = s.tags;
      r.who = s.who;
      journal::Event e;
      e.seq = ++seq;
      e.ts_us = 1'771'668'000'000'000 + static_cast<int64_t>(seq) * 1'000'000;
      e.type = journal::EventType::MemoryRemembered;
      e.stream = engine::memory_stream(s.id);
      e.stream_version = 1;
      e.payload = engine::encode(r);
      events.push_back(std::move(e));
      ids.insert(s.id);
    }
    Status st = fts->apply(events);
    FUZZ_CHECK(st.ok(), st.ToString().c_str());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  std::string description = fts::describe_text_query(text);
  FUZZ_CHECK(description.rfind("error: ", 0) != 0, description.c_str());
  fts::TextQuery parsed = fts::parse_text_query(text);
  fts::TextQuery plain = fts::plain_text_query(text);
  // A loose bound (a hyphenated word is a phrase plus its loose words): what
  // matters is that the cut at kQueryTextBytesMax bounds the work.
  FUZZ_CHECK(parsed.term_count <= 2 * fts::kQueryTextBytesMax, "unbounded term count");
  FUZZ_CHECK(plain.term_count <= fts::kQueryTextBytesMax, "unbounded term count");
  if (parsed.query.empty()) FUZZ_CHECK(parsed.term_count == 0, "terms counted in an empty query");

  static Index idx;
  FtsQuery q;
  q.text = std::string(text);
  q.limit = 1 + size % 7;
  q.filter.include_deleted = size % 2 == 0;
  auto hits = idx.fts->search(q);
  FUZZ_CHECK(hits.ok(), hits.status().ToString().c_str());
  FUZZ_CHECK(hits->size() <= q.limit, "more hits than the limit");
  std::set<std::string> seen;
  double previous = 2.0;
  for (const FtsHit& h : *hits) {
    FUZZ_CHECK(idx.ids.count(h.id) == 1, "a hit on a memory that does not exist");
    FUZZ_CHECK(seen.insert(h.id).second, "the same memory twice");
    FUZZ_CHECK(h.score > 0 && h.score <= 1, "a score outside (0, 1]");
    FUZZ_CHECK(h.score <= previous, "hits not best first");
    previous = h.score;
  }
  return 0;
}
