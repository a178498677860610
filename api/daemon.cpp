#include "api/daemon.h"

#include <unistd.h>

#include <filesystem>

#include "api/http.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "journal/log.h"
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
  Services services;
  std::unique_ptr<HttpServer> http;

  ~Impl() { shutdown(); }

  void shutdown() {
    if (memories_runner) memories_runner->stop();
    memories_runner.reset();
    memories.reset();
    views.reset();
    engine.reset();
    journal.reset();
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

    engine::EngineOptions eo;
    eo.clock = options.clock;
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

    services.journal = journal.get();
    services.engine = engine.get();
    services.memories = memories.get();
    services.memories_runner = memories_runner.get();
    services.projections.push_back({"memories", memories_runner.get()});
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
  if (d.memories_runner) d.memories_runner->wait_for(d.journal->last_seq(), std::chrono::seconds(5));
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

}  // namespace signet::api
