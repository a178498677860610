// /api/backup and /api/backups — ours, not upstream's (docs/api.md): a hot
// backup taken by the daemon that holds the journal, and the list.
#include <nlohmann/json.hpp>

#include "api/http_status.h"
#include "api/json_body.h"
#include "api/memory_json.h"
#include "api/routes/routes.h"
#include "api/workspace_backup.h"

namespace signet::api {
namespace {

using nlohmann::json;

std::string dest_of(const Services& s, const std::optional<std::string>& given) {
  if (given && !given->empty()) return *given;
  auto cfg = s.config();
  return cfg->backup.dest.empty() ? default_backup_dir(s.process.workspace) : cfg->backup.dest;
}

json backup_json(const WorkspaceBackup& b) {
  return {{"id", b.id},          {"createdAt", time_json(b.created_us)}, {"lastSeq", b.last_seq},
          {"sizeBytes", b.size_bytes}, {"files", b.files},            {"workspace", b.workspace}};
}

Response create(const Request& req, Services& s) {
  auto body = JsonBody::parse(req.body(), /*allow_empty=*/true);
  if (!body.ok()) return error_response(req, body.status());
  auto dest = body->string("dest");
  if (!dest.ok()) return error_response(req, dest.status());
  std::string dir = dest_of(s, *dest);
  auto b = create_backup(*s.journal, s.process.workspace, dir);
  if (!b.ok()) return error_response(req, b.status());
  json j = backup_json(*b);
  j["dest"] = dir;
  return Response::json(200, j.dump());
}

Response list(const Request& req, Services& s) {
  std::string dir = dest_of(s, req.query("dest"));
  auto all = list_workspace_backups(dir);
  if (!all.ok() && all.status().code() != Code::kNotFound) return error_response(req, all.status());
  json out = json::array();
  if (all.ok())
    for (const auto& b : *all) out.push_back(backup_json(b));
  return Response::json(200, json{{"dest", dir}, {"backups", std::move(out)}}.dump());
}

}  // namespace

void register_backup_routes(Router& r, Services& s) {
  r.post("/api/backup",  Permission::kAdmin, [&s](const Request& q) { return create(q, s); });
  r.get ("/api/backups", Permission::kAdmin, [&s](const Request& q) { return list(q, s); });
}

}  // namespace signet::api
