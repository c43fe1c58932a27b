// core/testing/status_matchers.h: GoogleTest helpers for Status and Result (test-only).
//
//   MEDLAKE_ASSERT_OK(expr);                       // fails the test if not OK, showing the error
//   MEDLAKE_EXPECT_OK(expr);
//   MEDLAKE_ASSERT_OK_AND_ASSIGN(auto v, Make());  // asserts OK and binds the value
//   EXPECT_THAT(expr, IsOk());
//   EXPECT_THAT(expr, StatusIs(StatusCode::kNotFound, "manifest"));  // code + message substring
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "core/status.h"

namespace medlake {

inline void PrintTo(const Status& s, std::ostream* os) { *os << s.ToString(); }
template <typename T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  *os << (r.ok() ? std::string("OK (value)") : r.status().ToString());
}

namespace testing_internal {
inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
Status GetStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace testing_internal

MATCHER(IsOk, "is OK") {
  Status s = ::medlake::testing_internal::GetStatus(arg);
  if (!s.ok()) *result_listener << "error: " << s.ToString();
  return s.ok();
}

MATCHER_P2(StatusIs, code, substring,
           std::string("has code ") + std::string(::medlake::StatusCodeName(code)) +
               " and a message containing \"" + std::string(substring) + "\"") {
  Status s = ::medlake::testing_internal::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code && s.message().find(substring) != std::string::npos;
}

}  // namespace medlake

#define MEDLAKE_ASSERT_OK(expr) ASSERT_THAT((expr), ::medlake::IsOk())
#define MEDLAKE_EXPECT_OK(expr) EXPECT_THAT((expr), ::medlake::IsOk())

#define MEDLAKE_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                      \
  ASSERT_THAT(tmp, ::medlake::IsOk());                     \
  lhs = std::move(tmp).value()
#define MEDLAKE_ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  MEDLAKE_ASSERT_OK_AND_ASSIGN_IMPL(MEDLAKE_CONCAT(_medlake_assert_, __LINE__), lhs, rexpr)
