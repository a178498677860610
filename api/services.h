// What route handlers may use: the engine, the journal, the projections and
// the daemon's facts, owned by the Daemon (api/daemon.h) and handed to the
// route files as one struct.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "journal/journal.h"
#include "projections/memories/memories_projection.h"

namespace signet::engine {
class Embedder;
class EmbeddingWorker;
}  // namespace signet::engine
namespace signet::projections {
class FtsProjection;
class VectorProjection;
}  // namespace signet::projections

namespace signet::api {

class SearchService;
class AccessRecorder;

struct ProcessInfo {
  int pid = 0;
  std::string version;
  std::string workspace;
  std::string host;  // as advertised (SIGNET_HOST)
  std::string bind;
  int port = 0;
  int64_t started_at_us = 0;
  std::chrono::steady_clock::time_point started;
  std::string log_file;
};

// A projection the API can report on and wait for.
struct ProjectionHandle {
  std::string name;
  projections::ProjectionRunner* runner = nullptr;
};

struct Services {
  journal::Journal* journal = nullptr;
  engine::Engine* engine = nullptr;
  projections::MemoriesProjection* memories = nullptr;
  projections::ProjectionRunner* memories_runner = nullptr;
  projections::FtsProjection* fts = nullptr;
  projections::ProjectionRunner* fts_runner = nullptr;
  projections::VectorProjection* vectors = nullptr;
  projections::ProjectionRunner* vectors_runner = nullptr;
  engine::Embedder* embedder = nullptr;  // query embeddings; null: keyword only
  engine::EmbeddingWorker* embedding_worker = nullptr;
  SearchService* search = nullptr;
  AccessRecorder* access = nullptr;
  std::vector<ProjectionHandle> projections;
  ProcessInfo process;
  // Set when the daemon is shutting down: long-lived responses end.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<int>> open_streams = std::make_shared<std::atomic<int>>(0);

  std::shared_ptr<const engine::Config> config() const {
    std::lock_guard<std::mutex> lock(*config_mu);
    return config_;
  }
  void set_config(std::shared_ptr<const engine::Config> c) {
    std::lock_guard<std::mutex> lock(*config_mu);
    config_ = std::move(c);
  }

  // Waits (bounded by search.read_wait_ms) until `runner` has applied every
  // event committed before `req` arrived. false: answer with "stale": true.
  bool wait_for(projections::ProjectionRunner* runner, const Request& req) const;
  bool wait_memories(const Request& req) const { return wait_for(memories_runner, req); }

 private:
  std::shared_ptr<std::mutex> config_mu = std::make_shared<std::mutex>();
  std::shared_ptr<const engine::Config> config_ = std::make_shared<engine::Config>();
};

}  // namespace signet::api
