#include "journal/status.h"

namespace signet {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kNotFound: return "not found";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kTooLarge: return "too large";
    case Code::kConflict: return "conflict";
    case Code::kPermissionDenied: return "permission denied";
    case Code::kCorruption: return "corruption";
    case Code::kIOError: return "io error";
    case Code::kNoSpace: return "no space";
    case Code::kUnavailable: return "unavailable";
    case Code::kTimedOut: return "timed out";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(code_name(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg));
}

void assert_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "signet: assertion failed: %s (%s:%d)\n", expr, file, line);
  std::abort();
}

}  // namespace signet
