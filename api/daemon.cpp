#include "api/daemon.h"

#include <unistd.h>

#include <filesystem>

#include "api/access_recorder.h"
#include "api/http.h"
#include "api/routes/routes.h"
#include "api/search_service.h"
#include "api/services.h"
#include "engine/embedding/embedder.h"
#include "engine/embedding_worker.h"
#include "journal/log.h"
#include "projections/fts/fts_projection.h"
#include "projections/vectors/vector_projection.h"
#include "projections/views_db.h"

namespace signet::api {

namespace fs = std::filesystem;

namespace {

journal::SyncMode sync_mode(const std::string& s) {
  if (s == "batch") return journal::SyncMode::kBatch;
  if (s == "off") return journal::SyncMode::kOff;
  return journal::SyncMode::kAlways;
}

}  // namespace

class Daemon::Impl {
 public:
  DaemonOptions options;
  std::shared_ptr<spdlog::logger> log = log::get("daemon");
  std::shared_ptr<journal::StorageBudget> budget;
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<engine::Engine> engine;
  std::shared_ptr<projections::ViewsDb> views;
  std::unique_ptr<projections::MemoriesProjection> memories;
  std::unique_ptr<projections::ProjectionRunner> memories_runner;
  std::unique_ptr<projections::FtsProjection> fts;
  std::unique_ptr<projections::ProjectionRunner> fts_runner;
  std::unique_ptr<projections::VectorProjection> vectors;
  std::unique_ptr<projections::ProjectionRunner> vectors_runner;
  std::unique_ptr<engine::Embedder> embedder;
  std::unique_ptr<engine::EmbeddingWorker> worker;
  std::unique_ptr<AccessRecorder> access;
  std::unique_ptr<SearchService> search;
  Services services;
  std::unique_ptr<HttpServer> http;

  ~Impl() { shutdown(); }

  std::vector<projections::ProjectionRunner*> runners() {
    std::vector<projections::ProjectionRunner*> out;
    for (auto* r : {memories_runner.get(), fts_runner.get(), vectors_runner.get()})
      if (r) out.push_back(r);
    return out;
  }

  // In dependency order: nothing that writes outlives the journal.
  void shutdown() {
    if (access) access->stop();
    if (worker) worker->stop();
    for (auto* r : runners()) r->stop();
    access.reset();
    worker.reset();
    search.reset();
    vectors_runner.reset();
    vectors.reset();  // writes its snapshot
    fts_runner.reset();
    fts.reset();
    memories_runner.reset();
    memories.reset();
    views.reset();
    engine.reset();
    embedder.reset();
    journal.reset();
  }

  // The model in force is journaled: when the configured one differs from the
  // last recorded, record the change, and the worker re-embeds everything.
  Status note_embedding_model() {
    SIGNET_ASSIGN_OR_RETURN(auto events, journal->read_stream(engine::kEmbeddingModelStream));
    std::string last_model;
    uint32_t last_dims = 0;
    for (const auto& e : events) {
      auto m = engine::decode_embedding_model_changed(e.payload);
      if (m.ok()) {
        last_model = m->model;
        last_dims = m->dims;
      }
    }
    if (last_model == embedder->model() && last_dims == embedder->dims()) return Status::Ok();
    if (!last_model.empty())
      log->warn("embedding model changed from {} ({} dims) to {} ({} dims): every memory will be embedded again",
                last_model, last_dims, embedder->model(), embedder->dims());
    engine::Context ctx;
    ctx.actor = {"daemon", journal::ActorType::System, ""};
    return engine->record_embedding_model({embedder->model(), embedder->dims()}, ctx).status();
  }

  // Live memories without a current vector of `model`, from the memories rows.
  Result<std::vector<std::string>> embedding_backlog(const std::string& model, size_t max) {
    memories_runner->wait_for(journal->last_seq(), std::chrono::seconds(30));
    std::vector<std::string> ids;
    Status st = memories->scan_rows([&](std::string_view key, std::string_view value) {
      if (key.substr(0, 2) != "r/") return true;
      auto m = engine::decode_memory(value);
      if (m.ok() && m->active() && !(m->embedding_model == model && m->embedding_hash == m->content_hash))
        ids.push_back(m->id);
      return ids.size() < max;
    });
    if (!st.ok()) return st;
    return ids;
  }

  Status open() {
    const engine::Config& cfg = options.config;
    fs::path ws(options.workspace);
    std::error_code ec;
    for (const char* d : {"memory/journal", "memory/views", ".daemon"}) {
      fs::create_directories(ws / d, ec);
      if (ec) return Status::IOError("cannot create " + (ws / d).string() + ": " + ec.message());
    }
    budget = journal::StorageBudget::create();

    journal::JournalOptions jo;
    jo.path = (ws / "memory/journal").string();
    jo.sync = sync_mode(cfg.journal.sync);
    jo.sync_batch_ms = cfg.journal.sync_batch_ms;
    jo.clock = options.clock;
    jo.model = &engine::Engine::stream_model();
    jo.budget = budget;
    SIGNET_ASSIGN_OR_RETURN(journal, journal::Journal::open(jo));
    log->info("journal at {}: last_seq={} sync={}", jo.path, journal->last_seq(), cfg.journal.sync);

    SIGNET_ASSIGN_OR_RETURN(embedder, engine::make_embedder(cfg.embedding));
    log->info("embedding provider {} model {} ({} dims)", embedder->provider(), embedder->model(), embedder->dims());

    engine::EngineOptions eo;
    eo.clock = options.clock;
    if (embedder->provider() == "builtin") eo.inline_embedder = embedder.get();
    eo.recovery_window_us = static_cast<int64_t>(cfg.memory.recovery_window_days) * kMicrosPerDay;
    eo.content_bytes_max = cfg.memory.content_bytes_max;
    engine = std::make_unique<engine::Engine>(*journal, eo);
    engine->set_mutations_frozen(cfg.memory.pipeline.mutations_frozen);

    SIGNET_ASSIGN_OR_RETURN(views, projections::ViewsDb::open((ws / "memory/views").string(), budget));
    SIGNET_ASSIGN_OR_RETURN(memories, projections::MemoriesProjection::open(views));
    if (memories->rebuilt_on_open()) log->warn("projection=memories version changed: rebuilding from seq 1");
    log_catch_up("memories", memories->checkpoint());
    memories_runner = std::make_unique<projections::ProjectionRunner>(*journal, *memories);
    memories_runner->start();

    for (const char* d : {"memory/fts", "memory/vectors"}) {
      fs::create_directories(ws / d, ec);
      if (ec) return Status::IOError("cannot create " + (ws / d).string() + ": " + ec.message());
    }
    SIGNET_ASSIGN_OR_RETURN(fts, projections::FtsProjection::open((ws / "memory/fts").string()));
    if (fts->rebuilt_on_open()) log->warn("projection=fts rebuilding from seq 1 (new version or damaged index)");
    log_catch_up("fts", fts->checkpoint());
    fts_runner = std::make_unique<projections::ProjectionRunner>(*journal, *fts);
    fts_runner->start();

    projections::VectorOptions vo;
    vo.model = embedder->model();
    vo.dims = embedder->dims();
    vo.hnsw_threshold = cfg.search.hnsw_threshold;
    SIGNET_ASSIGN_OR_RETURN(vectors, projections::VectorProjection::open((ws / "memory/vectors").string(), vo));
    if (vectors->rebuilt_on_open()) log->warn("projection=vectors rebuilding from seq 1 (new model, version or damaged snapshot)");
    log_catch_up("vectors", vectors->checkpoint());
    vectors_runner = std::make_unique<projections::ProjectionRunner>(*journal, *vectors);
    vectors_runner->start();

    SIGNET_TRY(note_embedding_model());
    worker = std::make_unique<engine::EmbeddingWorker>(
        *journal, *engine, *embedder,
        [this](const std::string& model, size_t max) { return embedding_backlog(model, max); });
    worker->start();
    access = std::make_unique<AccessRecorder>(*engine);

    services.journal = journal.get();
    services.engine = engine.get();
    services.memories = memories.get();
    services.memories_runner = memories_runner.get();
    services.fts = fts.get();
    services.fts_runner = fts_runner.get();
    services.vectors = vectors.get();
    services.vectors_runner = vectors_runner.get();
    services.embedder = embedder.get();
    services.embedding_worker = worker.get();
    services.access = access.get();
    search = std::make_unique<SearchService>(services);
    services.search = search.get();
    services.projections.push_back({"memories", memories_runner.get()});
    services.projections.push_back({"fts", fts_runner.get()});
    services.projections.push_back({"vectors", vectors_runner.get()});
    services.set_config(std::make_shared<engine::Config>(cfg));
    services.process.pid = static_cast<int>(getpid());
    services.process.version = SIGNET_VERSION;
    services.process.workspace = options.workspace;
    services.process.host = options.host;
    services.process.bind = options.bind.empty() ? options.host : options.bind;
    services.process.started_at_us = options.clock->now_us();
    services.process.started = std::chrono::steady_clock::now();
    services.process.log_file = options.log_file;

    Router router;
    register_health_routes(router, services);
    register_memory_routes(router, services);
    register_log_routes(router, services);
    register_search_routes(router, services);
    register_embedding_routes(router, services);

    ServerOptions so;
    so.threads = cfg.server.threads;
    so.max_body_bytes = cfg.server.max_body_bytes;
    so.read_timeout = std::chrono::milliseconds(cfg.server.read_timeout_ms);
    so.write_timeout = std::chrono::milliseconds(cfg.server.write_timeout_ms);
    so.keep_alive_timeout = std::chrono::milliseconds(cfg.server.keep_alive_timeout_ms);
    so.keep_alive_max_requests = cfg.server.keep_alive_max_requests;
    journal::Journal* j = journal.get();
    http = std::make_unique<HttpServer>(so, std::move(router), make_local_authorizer(),
                                        [j] { return j->last_seq(); });
    SIGNET_TRY(http->bind(services.process.bind, options.port));
    services.process.port = http->port();
    return Status::Ok();
  }

  void log_catch_up(const char* name, uint64_t checkpoint) {
    uint64_t head = journal->last_seq();
    if (head > checkpoint)
      log->info("projection={} checkpoint_seq={} journal_last_seq={} catching_up={}", name, checkpoint, head,
                head - checkpoint);
  }
};

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() = default;

Result<std::unique_ptr<Daemon>> Daemon::open(DaemonOptions options) {
  if (options.config.auth.mode != "local")
    return Status::InvalidArgument("auth mode '" + options.config.auth.mode +
                                   "' is not supported yet; only local mode is (see docs/api.md). "
                                   "Refusing to start rather than serve without the authentication you asked for");
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  Status st = impl->open();
  if (!st.ok()) return st;
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Status Daemon::serve() {
  Impl& d = *impl_;
  d.log->info("listening on http://{}:{} (workspace {})", d.services.process.bind, d.services.process.port,
              d.options.workspace);
  Status st = d.http->serve();
  d.log->info("stopped accepting requests; draining");
  // Let the projections apply what is committed, so a restart has nothing to replay.
  if (d.access) d.access->stop();
  if (d.worker) d.worker->stop();
  for (auto* r : d.runners()) r->wait_for(d.journal->last_seq(), std::chrono::seconds(5));
  d.shutdown();
  d.log->info("storage closed");
  log::flush();
  return st;
}

void Daemon::stop() {
  impl_->services.stopping->store(true);
  log::ring().wake_all();
  if (impl_->http) impl_->http->stop();
}

void Daemon::reload(engine::Config config) {
  Impl& d = *impl_;
  log::set_level(config.log.level);
  log::ring().set_capacity(config.log.ring_entries);
  d.engine->set_mutations_frozen(config.memory.pipeline.mutations_frozen);
  d.services.set_config(std::make_shared<engine::Config>(std::move(config)));
  d.log->info("configuration reloaded");
}

int Daemon::port() const { return impl_->services.process.port; }

Response Daemon::handle(Method method, const std::string& target, const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  return impl_->http->handle(method, target, body, headers);
}

}  // namespace signet::api
