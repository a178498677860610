// /api/repair/rebuild — ours (docs/api.md): rebuild projections from the
// journal side by side while reads keep using the current copies, then swap.
// /api/repair/retention-sweep — purge what is past the recovery window now
// (upstream documents the route but answers 501).
#include <nlohmann/json.hpp>

#include "api/http_status.h"
#include "api/json_body.h"
#include "api/retention_sweeper.h"
#include "api/routes/routes.h"

namespace signet::api {
namespace {

using nlohmann::json;

Response start(const Request& req, Services& s) {
  auto body = JsonBody::parse(req.body(), /*allow_empty=*/true);
  if (!body.ok()) return error_response(req, body.status());
  auto which = body->string("projection");
  if (!which.ok()) return error_response(req, which.status());
  auto kinds = projections::parse_projection_list(which->value_or("all"));
  if (!kinds.ok()) return error_response(req, kinds.status());
  Status st = s.start_rebuild(*kinds);
  if (!st.ok()) return error_response(req, st);
  return Response::json(202, s.rebuild_status().dump());
}

Response status(const Request&, Services& s) { return Response::json(200, s.rebuild_status().dump()); }

Response retention_sweep(const Request& req, Services& s) {
  if (!s.retention) return error_response(req, Status::Unavailable("retention is not running"));
  auto r = s.retention->sweep(req.request_id());
  if (!r.ok()) return error_response(req, r.status());
  json j;
  j["action"] = "triggerRetentionSweep";
  j["success"] = true;
  j["affected"] = r->purged;
  j["message"] = "purged " + std::to_string(r->purged) + " memories deleted before " + format_iso8601_ms(r->cutoff_us);
  j["cutoff"] = format_iso8601_ms(r->cutoff_us);
  j["examined"] = r->examined;
  j["skipped"] = r->skipped;
  j["seq"] = r->seq;
  j["seconds"] = r->seconds;
  return Response::json(200, j.dump());
}

}  // namespace

void register_repair_routes(Router& r, Services& s) {
  r.post("/api/repair/rebuild", Permission::kAdmin, [&s](const Request& q) { return start(q, s); });
  r.get ("/api/repair/rebuild", Permission::kAdmin, [&s](const Request& q) { return status(q, s); });
  r.post("/api/repair/retention-sweep", Permission::kAdmin, [&s](const Request& q) { return retention_sweep(q, s); });
}

}  // namespace signet::api
