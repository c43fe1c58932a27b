// core/status.h: the error values of medlake.
//
// `Status` is a code plus a message; `Result<T>` holds a value or a non-OK Status. Functions that
// can fail return one of them (STYLE.md section 4); our code never throws. The API of Result is
// kept close to C++23's std::expected so that moving to it later is mechanical.
//
// Thread-safety: both are values; distinct objects may be used from distinct threads freely.
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace medlake {

// Canonical codes, modelled on Abseil's, plus IOError. Keep this set small and fixed: the server
// maps each one to an HTTP status, a FHIR OperationOutcome issue type and a PostgreSQL SQLSTATE.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kAborted,  // commit conflict: retry on the new state
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,
  kUnimplemented,
  kDataLoss,  // corrupt or truncated file
  kIOError,
  kInternal,
};

// Returns the code's name, e.g. "NotFound".
std::string_view StatusCodeName(StatusCode code);

// A success or an error with a message. OK is cheap to create, copy and test (no allocation).
// Messages carry identifiers (file, control id, line), never field values (no PHI).
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status OK() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // The message without the code; empty for OK.
  const std::string& message() const;

  // "NotFound: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <old message>". OK stays OK.
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& other) const {
    return code() == other.code() && message() == other.message();
  }

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  // shared_ptr to an immutable state keeps copies cheap; null means OK.
  std::shared_ptr<const State> state_;
};

// Factory helpers, one per code.
Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status AlreadyExists(std::string message);
Status FailedPrecondition(std::string message);
Status Aborted(std::string message);
Status PermissionDenied(std::string message);
Status Unauthenticated(std::string message);
Status ResourceExhausted(std::string message);
Status Unimplemented(std::string message);
Status DataLoss(std::string message);
Status IOError(std::string message);
Status Internal(std::string message);

// Holds either a T or a non-OK Status. Constructing a Result from an OK Status is a programmer
// error (it becomes an Internal error so that it cannot be mistaken for success).
template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : v_(value) {}  // NOLINT(google-explicit-constructor)
  Result(T&& value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  template <typename U,
            typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, Result<T>>>>
  Result(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT(google-explicit-constructor)
  Result(Status status)  // NOLINT(google-explicit-constructor)
      : v_(status.ok() ? Internal("Result constructed from an OK Status") : std::move(status)) {}

  bool ok() const { return v_.index() == 0; }
  bool has_value() const { return ok(); }
  explicit operator bool() const { return ok(); }

  // The error; OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<1>(v_); }
  const Status& error() const { return std::get<1>(v_); }

  // Precondition: ok(). Checked in debug builds.
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline Status ToStatus(const Status& s) { return s; }
template <typename T>
Status ToStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace medlake

#define MEDLAKE_CONCAT_INNER(a, b) a##b
#define MEDLAKE_CONCAT(a, b) MEDLAKE_CONCAT_INNER(a, b)

// Evaluates `expr` (a Status or Result); returns its Status from the calling function if not OK.
#define MEDLAKE_RETURN_IF_ERROR(expr)                                          \
  do {                                                                         \
    ::medlake::Status _medlake_status = ::medlake::internal::ToStatus((expr)); \
    if (!_medlake_status.ok()) return _medlake_status;                         \
  } while (false)

#define MEDLAKE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                  \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

// Evaluates `rexpr` (a Result<T>); on error returns its Status, else assigns the value to `lhs`
// (which may be a declaration: `MEDLAKE_ASSIGN_OR_RETURN(auto x, F());`).
#define MEDLAKE_ASSIGN_OR_RETURN(lhs, rexpr) \
  MEDLAKE_ASSIGN_OR_RETURN_IMPL(MEDLAKE_CONCAT(_medlake_result_, __LINE__), lhs, rexpr)

// Invariant checks for programmer errors only, never for anything input or the environment can
// cause. DCHECK is compiled out of release builds; CHECK aborts when continuing would corrupt data.
#define MEDLAKE_CHECK(cond)                                               \
  do {                                                                    \
    if (!(cond)) ::medlake::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (false)
#ifdef NDEBUG
#define MEDLAKE_DCHECK(cond) \
  do {                       \
  } while (false)
#else
#define MEDLAKE_DCHECK(cond) MEDLAKE_CHECK(cond)
#endif

namespace medlake::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace medlake::internal
