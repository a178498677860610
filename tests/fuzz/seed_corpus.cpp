// Writes the binary seed corpora of the fuzz targets whose inputs are made by
// our encoders (event_record_fuzz, memory_payload_fuzz) or carry binary
// header bytes (http_request_fuzz), into corpus/<target>/ under the directory
// given. The seeds are committed; run this again after a schema or route
// change, then commit what changed:
//
//   build-fuzzreg/tests/fuzz_seed_corpus tests/fuzz/corpus
//
// The text corpora (agent_yaml, json_body, query_parser) are written by hand.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/memory_events.h"
#include "engine/memory_record.h"
#include "journal/record.h"
#include "tests/fuzz/http_request_routes.h"

using namespace signet;
using namespace signet::engine;
namespace fs = std::filesystem;

namespace {

fs::path g_root;
int g_written = 0;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
  ++g_written;
}

constexpr const char* kId = "3f1c9a52-6b0e-4d7a-9c1e-2b8f5d4e7a10";

journal::Event event(uint64_t seq, journal::EventType type, std::string stream, uint64_t version,
                     std::string payload) {
  journal::Event e;
  e.seq = seq;
  e.ts_us = 1'771'668'000'000'000 + static_cast<int64_t>(seq) * 1'000'000;
  e.type = type;
  e.stream = std::move(stream);
  e.stream_version = version;
  e.actor = {"claude-code", journal::ActorType::Agent, ""};
  e.request_id = "req-" + std::to_string(seq);
  e.session_id = "session-42";
  e.payload = std::move(payload);
  return e;
}

void memory_seeds() {
  using journal::EventType;
  Remembered r;
  r.id = kId;
  r.content = "User prefers vim keybindings in every editor";
  r.content_hash = "9b1c0d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c";
  r.type = "preference";
  r.tags = {"editor", "vim"};
  r.importance = 0.9;
  r.who = "claude-code";
  r.project = "dotfiles";
  r.source_type = "hook";
  r.source_id = "session-42";
  r.confidence = 0.75;
  Modified m;
  m.content = "User prefers vim keybindings, except in the terminal";
  m.content_hash = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
  m.tags = std::vector<std::string>{"editor"};
  m.importance = 0.5;
  m.pinned = true;
  m.reason = "user corrected it";
  Modified m_tags_cleared;
  m_tags_cleared.tags = std::vector<std::string>{};
  m_tags_cleared.reason = "tags cleared";
  Forgotten f{"obsolete", true};
  Recovered rc{"forgotten by mistake"};
  Purged p{"retention window passed"};
  EmbeddingRecorded er{kId, "builtin-v1", 4, r.content_hash, {0.5f, -0.5f, 0.5f, -0.5f}};
  MemoriesAccessed ma{{kId, "another-id"}, {3, 1}};
  EmbeddingModelChanged mc{"builtin-v1", 256};
  MemoryRecord row;
  row.id = kId;
  row.content = r.content;
  row.content_hash = r.content_hash;
  row.type = r.type;
  row.tags = r.tags;
  row.who = r.who;
  row.confidence = 0.5;
  row.created_at_us = 1'771'668'000'000'000;
  row.updated_at_us = 1'771'668'001'000'000;
  row.version = 2;
  row.access_count = 7;
  row.embedding_model = "builtin-v1";
  row.embedding_dims = 256;
  row.embedding_hash = r.content_hash;
  row.last_seq = 9;

  const std::string stream = memory_stream(kId);
  const std::vector<std::pair<std::string, journal::Event>> events = {
      {"remembered", event(1, EventType::MemoryRemembered, stream, 1, encode(r))},
      {"modified", event(2, EventType::MemoryModified, stream, 2, encode(m))},
      {"modified-tags-cleared", event(3, EventType::MemoryModified, stream, 3, encode(m_tags_cleared))},
      {"forgotten", event(4, EventType::MemoryForgotten, stream, 4, encode(f))},
      {"recovered", event(5, EventType::MemoryRecovered, stream, 5, encode(rc))},
      {"purged", event(6, EventType::MemoryPurged, stream, 6, encode(p))},
      {"embedding-recorded", event(7, EventType::EmbeddingRecorded, embedding_stream(kId), 1, encode(er))},
      {"memories-accessed", event(8, EventType::MemoriesAccessed, std::string(kAccessStream), 1, encode(ma))},
      {"embedding-model-changed",
       event(9, EventType::EmbeddingModelChanged, std::string(kEmbeddingModelStream), 1, encode(mc))},
      {"unknown-type-empty", event(10, EventType::Unknown, "", 0, "")},
  };
  for (const auto& [name, e] : events) {
    write("event_record_fuzz", name + ".rec", journal::encode_record(e));
    if (!e.payload.empty()) write("memory_payload_fuzz", name + ".fb", e.payload);
  }
  write("memory_payload_fuzz", "memory-row.fb", encode_memory(row));
}

// <route byte> <flags byte> <id> \n <query> \n <body>
void http(const std::string& name, fuzz::Method method, const char* route, uint8_t flags, const std::string& id,
          const std::string& query, const std::string& body) {
  size_t index = fuzz::route_index(method, route);
  if (index >= fuzz::kRouteCount) {
    std::fprintf(stderr, "no route %s in http_request_routes.h\n", route);
    std::exit(1);
  }
  std::string bytes;
  bytes.push_back(static_cast<char>(index));
  bytes.push_back(static_cast<char>(flags));
  bytes += id + "\n" + query + "\n" + body;
  write("http_request_fuzz", name, bytes);
}

void http_seeds() {
  using fuzz::Method;
  constexpr uint8_t kRandomId = 1, kActor = 0x10, kAgent = 0x20, kSession = 0x40, kRequestId = 0x80;
  const std::string none;
  const std::string random_id = "00000000-0000-4000-8000-000000000000";
  http("remember", Method::kPost, "/api/memory/remember", 0, none, none,
       R"({"content":"The team works in the Europe/Berlin timezone","tags":"team,time","importance":0.7,"who":"carol","project":"ops","type":"fact"})");
  http("remember-as-agent", Method::kPost, "/api/memory/remember", kRandomId | kActor | kAgent | kSession | kRequestId,
       "claude-code", none,
       R"({"content":"Deployments freeze on Fridays","pinned":true,"sourceType":"hook","sourceId":"s-1","confidence":0.9,"tags":["deploy","rule"]})");
  http("save", Method::kPost, "/api/memory/save", 0, none, none, R"({"content":"Alice drinks her coffee black"})");
  http("hook-remember", Method::kPost, "/api/hook/remember", 0, none, none,
       R"({"content":"[decision] [db,analytics] Use PostgreSQL for analytics","who":"alice"})");
  http("recall", Method::kPost, "/api/memory/recall", 0, none, none,
       R"({"query":"which editor keybindings does the user prefer?","limit":5,"alpha":0.5,"min_score":0.05,"type":"preference","tags":"editor","since":"2020-01-01T00:00:00Z"})");
  http("recall-keyword-only", Method::kPost, "/api/memory/recall", 0, none, none,
       R"({"query":"\"session cache\" redis* -mysql","keyword_only":true,"pinned":false,"importance_min":0.1})");
  http("search", Method::kGet, "/api/memory/search", 0, none,
       "q=vim%20editor&limit=3&type=preference&tags=editor,vim&since=2026-01-01&until=2030-01-01T00:00:00%2B01:00",
       none);
  http("legacy-search", Method::kGet, "/memory/search", 0, none, "q=deploy+staging&limit=5&who=fuzz", none);
  http("legacy-search-distinct-who", Method::kGet, "/memory/search", 0, none, "distinct=who", none);
  http("legacy-search-filters-only", Method::kGet, "/memory/search", 0, none, "pinned=1&importance_min=0.5", none);
  http("similar", Method::kGet, "/memory/similar", 0, none, "id=" + random_id + "&k=3&type=fact", none);
  http("get", Method::kGet, "/api/memory/{id}", 0, none, "include_deleted=true", none);
  http("get-random-id", Method::kGet, "/api/memory/{id}", kRandomId, random_id, none, none);
  http("patch", Method::kPatch, "/api/memory/{id}", 2, none, none,
       R"({"reason":"user corrected it","content":"User prefers vim keybindings except in the terminal","tags":["editor"],"importance":0.6,"pinned":false,"if_version":1,"changed_by":"operator"})");
  http("patch-random-id", Method::kPatch, "/api/memory/{id}", kRandomId, random_id, none,
       R"({"reason":"r","type":"fact"})");
  http("forget", Method::kDelete, "/api/memory/{id}", 4, none, none, R"({"reason":"obsolete","if_version":1})");
  http("forget-by-query", Method::kDelete, "/api/memory/{id}", 6, none, "reason=obsolete&force=true&if_version=2",
       none);
  http("recover", Method::kPost, "/api/memory/{id}/recover", 4, none, none, R"({"reason":"forgotten by mistake"})");
  http("history", Method::kGet, "/api/memory/{id}/history", 4, none, "limit=5", none);
  http("batch-forget-preview", Method::kPost, "/api/memory/forget", 0, none, none,
       R"({"mode":"preview","query":"coffee","limit":3})");
  http("batch-forget-execute", Method::kPost, "/api/memory/forget", 0, none, none,
       R"({"mode":"execute","type":"fact","who":"carol","reason":"cleanup","confirm_token":"not-a-token","force":false})");
  http("batch-modify", Method::kPost, "/api/memory/modify", 0, none, none,
       R"({"reason":"bulk retag","changed_by":"bot","patches":[{"id":")" + random_id +
           R"(","tags":"a,b","if_version":1},{"id":""},7,{"id":"x","importance":2}]})");
  http("memories", Method::kGet, "/api/memories", 0, none,
       "limit=10&offset=1&type=fact&who=carol&project=ops&tags=team&pinned=false&importance_min=0.1&since=2026-02-21T10:00:00Z&include_deleted=1",
       none);
  http("embeddings", Method::kGet, "/api/embeddings", 0, none, "limit=60", none);
  http("embeddings-status", Method::kGet, "/api/embeddings/status", 0, none, none, none);
  http("embeddings-health", Method::kGet, "/api/embeddings/health", 0, none, none, none);
  http("health", Method::kGet, "/health", 0, none, none, none);
  http("status", Method::kGet, "/api/status", 0, none, none, none);
  http("features", Method::kGet, "/api/features", 0, none, none, none);
  http("logs", Method::kGet, "/api/logs", 0, none, "limit=5&level=warn&category=http&since=2020-01-01", none);
  http("put-not-allowed", Method::kPut, "/api/memory/{id}", 0, none, none, R"({"reason":"x"})");
  http("unknown-path", Method::kGet, "/{id}", kRandomId, "api/memory/a/b/c", none, none);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  memory_seeds();
  http_seeds();
  std::printf("%d seeds written under %s\n", g_written, g_root.c_str());
  return 0;
}
