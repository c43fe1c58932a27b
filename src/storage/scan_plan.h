// storage/scan_plan.h: what a read of one table snapshot needs, as plain data: the projected
// schema and the live data and delete files with their sequence numbers. Produced by the table
// layer from manifests (after pruning); turned into SQL by the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/iceberg/value.h"

namespace medlake::storage {

// A predicate on one column used to skip files before they are read (scan planning). Values are
// Iceberg values of the column's type.
struct ScanFilter {
  enum class Op { kEq, kLt, kLe, kGt, kGe, kIn, kIsNull, kIsNotNull };
  int field_id = 0;
  Op op = Op::kEq;
  std::vector<iceberg::Value> values;  // one value; several for kIn; none for the null tests
};

// How many files planning looked at and skipped (for tests, EXPLAIN and benchmarks).
struct ScanPruning {
  int64_t manifests_total = 0;
  int64_t manifests_skipped = 0;
  int64_t files_total = 0;
  int64_t files_skipped = 0;
};

struct ScanColumn {
  int field_id = 0;
  std::string name;
  std::string type_json;  // the Iceberg type in the spec's JSON form ("long", {"type":"struct",...})
  bool required = false;
  // A double column that some schema of the table held as float (type promotion): older files
  // store it as FLOAT, and readers must not compare its values as floats.
  bool widened_from_float = false;
};

struct ScanDataFile {
  std::string path;           // local path to read
  std::string original_path;  // path as stored in the manifest (position deletes refer to it)
  int64_t data_sequence_number = 0;
  int64_t record_count = 0;
  int64_t file_size_in_bytes = 0;
  int spec_id = 0;
  // Bit i: every row of the file satisfies the plan's filters[i], as the file's metadata proves
  // (see LakeTable::PlanScan); 0 for the first 64 filters it cannot prove and for all beyond.
  uint64_t filters_hold = 0;
};

struct ScanDeleteFile {
  enum class Content { kPosition = 1, kEquality = 2 };
  Content content = Content::kPosition;
  std::string path;
  std::string original_path;
  int64_t data_sequence_number = 0;
  int64_t record_count = 0;
  std::vector<int> equality_ids;  // equality deletes only
  // Position deletes: the one data file (stored path) whose rows they delete, when the writer
  // said so (Iceberg's referenced_data_file, which medlake always writes); empty: any file.
  std::string referenced_data_file;
};

struct ScanPlan {
  std::vector<ScanColumn> columns;
  std::vector<ScanDataFile> data_files;
  std::vector<ScanDeleteFile> delete_files;
  std::optional<int64_t> snapshot_id;  // nullopt: the table has no snapshot yet
  ScanPruning pruning;
};

// What changed in a table between an older snapshot and the current one, as three scans:
//   - `added`: the current snapshot's data files that were not live at the older one (their
//     current deletes applied): every row added since, and perhaps rows added and removed since;
//   - `before`: at the older snapshot, the data files that may have lost rows since (files no
//     longer live, files given delete files since), with the deletes live then;
//   - `after`: the same files at the current snapshot, those still live, with today's deletes.
// The rows removed since are `before`'s rows whose (file, position) is not among `after`'s. A
// file rewritten by a compaction shows its rows both as removed and as added.
// `new_deletes` are the delete files committed since the older snapshot: when they are all
// position deletes naming their data file, the removed rows of `before`'s files still live are
// exactly the rows at those positions (no need to compare with `after`).
struct ChangePlan {
  ScanPlan added;
  ScanPlan before;
  ScanPlan after;
  std::vector<ScanDeleteFile> new_deletes;
};

}  // namespace medlake::storage
