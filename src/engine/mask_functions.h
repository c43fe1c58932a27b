// engine/mask_functions.h: column-mask SQL functions medlake adds to its DuckDB sessions.
//
//   medlake_mask_partial(VARCHAR v, INTEGER n) -> VARCHAR
//       '*****' followed by the last n characters (code points) of v when v has more than n,
//       else '*****'; NULL for NULL. The same value as the SQL
//       CASE WHEN length(v) > n THEN '*****' || right(v, n) WHEN v IS NULL THEN NULL ELSE '*****' END
//       (n < 0 counts as 0: a mask never shows more than asked).
//   medlake_year_start(DATE d) -> DATE
//       January 1st of d's year; infinities unchanged; NULL for NULL. The same value as
//       CAST(date_trunc('year', d) AS DATE), except in the first representable year
//       (5877642 BC), which starts before the first representable date: there date_trunc fails
//       and this returns that first date.
//
// Both compute per value what DuckDB's expressions compute with several functions and a string
// allocation: the PARTIAL and YEAR masks cost 3-5x less per row (bench/README.md §8). Neither
// holds a secret, so calling them reveals nothing; untrusted SQL may not call them anyway
// (all medlake_ functions are refused by engine/sql_guard.h).
#pragma once

#include "core/status.h"
#include "engine/database.h"

namespace medlake::engine {

Status RegisterMaskFunctions(Connection& conn);

}  // namespace medlake::engine
