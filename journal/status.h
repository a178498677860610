// Status and Result<T>: how every module of ours reports failure.
//
// No exceptions cross a module boundary. A library's exceptions are caught in
// the one file that calls it and returned as a Status. SIGNET_ASSERT is for our
// own bugs; it never guards user input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace signet {

enum class Code : uint8_t {
  kOk = 0,
  kNotFound,
  kInvalidArgument,
  kTooLarge,
  kConflict,
  kPermissionDenied,
  kCorruption,
  kIOError,
  kNoSpace,      // the disk is full; writes fail, reads keep working
  kUnavailable,  // try again later (shutting down, a provider is down, ...)
  kTimedOut,
};

std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status TooLarge(std::string msg) { return {Code::kTooLarge, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) { return {Code::kPermissionDenied, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status NoSpace(std::string msg) { return {Code::kNoSpace, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status TimedOut(std::string msg) { return {Code::kTimedOut, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsConflict() const { return code_ == Code::kConflict; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }

  // "corruption: seq 1042: crc mismatch"
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status saying why there is none (like absl::StatusOr).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Corruption("Result built from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

[[noreturn]] void assert_failed(const char* expr, const char* file, int line);

}  // namespace signet

#define SIGNET_CONCAT_INNER(a, b) a##b
#define SIGNET_CONCAT(a, b) SIGNET_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define SIGNET_TRY(expr)                          \
  do {                                            \
    ::signet::Status _signet_st = (expr);         \
    if (!_signet_st.ok()) return _signet_st;      \
  } while (0)

#define SIGNET_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// SIGNET_ASSIGN_OR_RETURN(auto row, views.get(id));
#define SIGNET_ASSIGN_OR_RETURN(lhs, expr) \
  SIGNET_ASSIGN_OR_RETURN_IMPL(SIGNET_CONCAT(_signet_r_, __LINE__), lhs, expr)

// For our own invariants only; aborts with the location.
#define SIGNET_ASSERT(expr) \
  ((expr) ? (void)0 : ::signet::assert_failed(#expr, __FILE__, __LINE__))
