// Route registration, one function per domain file. Each file registers its
// routes as one table that can be read against API.md.
#pragma once

#include "api/http.h"
#include "api/services.h"

namespace signet::api {

void register_health_routes(Router& r, Services& s);  // /health, /api/status, /api/features
void register_memory_routes(Router& r, Services& s);  // /api/memories, /api/memory/*
void register_log_routes(Router& r, Services& s);     // /api/logs, /api/logs/stream
void register_search_routes(Router& r, Services& s);  // recall, /api/memory/search, /memory/search, /memory/similar
void register_embedding_routes(Router& r, Services& s);  // /api/embeddings*
void register_backup_routes(Router& r, Services& s);  // /api/backup, /api/backups (ours)
void register_timeline_routes(Router& r, Services& s);  // /api/timeline/:id, /export
void register_repair_routes(Router& r, Services& s);  // /api/repair/rebuild

}  // namespace signet::api
