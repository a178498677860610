#include "api/http_status.h"

#include "journal/log.h"

namespace signet::api {

int http_code(engine::Refusal r) {
  using engine::Refusal;
  switch (r) {
    case Refusal::kNotFound: return 404;
    case Refusal::kDeleted: return 409;
    case Refusal::kAlreadyDeleted: return 409;
    case Refusal::kNotDeleted: return 409;
    case Refusal::kVersionConflict: return 409;
    case Refusal::kDuplicateContentHash: return 409;
    case Refusal::kPinnedRequiresForce: return 409;
    case Refusal::kAutonomousForceDenied: return 403;
    case Refusal::kRetentionExpired: return 409;
  }
  return 500;
}

int http_code(Code c) {
  switch (c) {
    case Code::kOk: return 200;
    case Code::kNotFound: return 404;
    case Code::kInvalidArgument: return 400;
    case Code::kTooLarge: return 413;
    case Code::kConflict: return 409;
    case Code::kPermissionDenied: return 403;
    case Code::kCorruption: return 500;
    case Code::kIOError: return 500;
    case Code::kNoSpace: return 507;
    case Code::kUnavailable: return 503;
    case Code::kTimedOut: return 503;
  }
  return 500;
}

Response error_response(const Request& req, const Status& status) {
  int code = http_code(status.code());
  if (code >= 500) {
    log::get("http")->error("request {} {} {}: {}", req.request_id(), method_name(req.method()), req.path(),
                            status.ToString());
  }
  std::string msg = status.message();
  if (code == 500) msg += " (request " + req.request_id() + ")";
  if (status.code() == Code::kNoSpace)
    msg = "the disk is full: writes are refused until space is freed; reads keep working (" + msg + ")";
  Response r = Response::error(code, msg);
  if (code == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace signet::api
