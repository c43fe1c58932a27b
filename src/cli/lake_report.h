// cli/lake_report.h: printing read-only reports (quality, lineage, patient index) from a lake.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "cli/result_writer.h"
#include "storage/catalog.h"

namespace medlake::cli {

// Opens the existing lake at `lake`; when `required` is not a table of it, prints `missing_note`
// to `out` and returns 0; otherwise runs `statements` (read-only SQL) and prints their results in
// `format`. Exit status: 0, or 1 when the lake cannot be opened or a statement fails.
int PrintLakeReport(const std::string& lake, const storage::TableIdentifier& required,
                    const std::string& missing_note, const std::vector<std::string>& statements,
                    OutputFormat format, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
