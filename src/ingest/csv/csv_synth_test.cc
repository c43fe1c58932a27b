// Loads the CSV extract of `medlake synth` through the contract it writes: clean output loads
// with zero rejections, and with --error-rate 0.2 exactly the faulty rows of truth/faults.csv
// are rejected.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "synth/generator.h"

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "ingest/csv/contract.h"
#include "ingest/csv/csv_reader.h"

namespace medlake::ingest::csv {
namespace {

struct LoadResult {
  uint64_t rows = 0;
  uint64_t accepted = 0;
  std::map<uint64_t, std::string> rejected;  // line -> reason
  uint64_t duplicates = 0;
};

void RunSynthCsv(double error_rate, const std::string& out) {
  synth::SynthOptions options;
  options.patients = 1000;  // the legacy lab extract covers one hospital of 37
  options.seed = 3;
  options.out_dir = out;
  options.formats = synth::SynthFormats{false, false, true};
  options.error_rate = error_rate;
  options.threads = 1;
  ASSERT_THAT(synth::RunSynth(options, &LocalFileSystem::Default()), IsOk());
}

LoadResult Load(const std::string& dir) {
  LoadResult result;
  const FileSystem& fs = LocalFileSystem::Default();
  Result<SourceContract> contract = LoadContract(fs, dir + "/csv/LABLEG/lab_results.contract.yaml");
  EXPECT_THAT(contract, IsOk());
  if (!contract.ok()) {
    return result;
  }
  EXPECT_EQ(contract->format.encoding, Encoding::kLatin1);
  EXPECT_EQ(contract->versioning.duplicates, DuplicatePolicy::kExactRowsMayRepeat);
  auto reader = CsvReader::Open(fs, dir + "/csv/LABLEG/lab_results_000000.csv", *contract);
  EXPECT_THAT(reader, IsOk());
  if (!reader.ok()) {
    return result;
  }
  CsvRow row;
  while (true) {
    Result<bool> more = (*reader)->Next(&row);
    EXPECT_THAT(more, IsOk());
    if (!more.ok() || !*more) {
      break;
    }
    ++result.rows;
    if (row.accepted()) {
      ++result.accepted;
      EXPECT_EQ(row.values.size(), contract->columns.size());
      if (row.duplicate_of_line != 0) {
        ++result.duplicates;
      }
    } else {
      result.rejected[row.line_number] = row.rejection;
    }
  }
  return result;
}

// truth/faults.csv rows of the CSV file: line -> fault kind.
std::map<uint64_t, std::string> CsvFaults(const std::string& dir) {
  std::map<uint64_t, std::string> faults;
  Result<std::string> text = LocalFileSystem::Default().ReadFile(dir + "/truth/faults.csv");
  EXPECT_THAT(text, IsOk());
  std::istringstream in(text.value_or(""));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, ',')) {
      cols.push_back(col);
    }
    if (cols.size() >= 4 && cols[0] == "csv/LABLEG/lab_results_000000.csv") {
      faults[std::stoull(cols[1])] = cols[3];
    }
  }
  return faults;
}

TEST(CsvSynthTest, CleanExtractLoadsWithZeroRejections) {
  TempDir tmp;
  RunSynthCsv(0.0, tmp.Join("out"));
  LoadResult r = Load(tmp.Join("out"));
  EXPECT_GT(r.rows, 100u);
  EXPECT_EQ(r.accepted, r.rows);
  for (const auto& [line, reason] : r.rejected) {
    ADD_FAILURE() << "line " << line << ": " << reason;
  }
  EXPECT_TRUE(CsvFaults(tmp.Join("out")).empty());
}

TEST(CsvSynthTest, FaultyRowsAreRejectedAndOnlyThose) {
  TempDir tmp;
  RunSynthCsv(0.2, tmp.Join("out"));
  LoadResult r = Load(tmp.Join("out"));
  const std::map<uint64_t, std::string> faults = CsvFaults(tmp.Join("out"));
  EXPECT_GT(faults.size(), 20u);
  EXPECT_EQ(r.accepted + r.rejected.size(), r.rows);
  for (const auto& [line, kind] : faults) {
    EXPECT_EQ(r.rejected.count(line), 1u)
        << "fault " << kind << " at line " << line << " was accepted";
  }
  for (const auto& [line, reason] : r.rejected) {
    EXPECT_EQ(faults.count(line), 1u) << "line " << line << " rejected: " << reason;
  }
  // Each fault kind gives the reason its rule names.
  for (const auto& [line, kind] : faults) {
    const std::string& reason = r.rejected[line];
    if (kind == "csv_impossible_date") {
      EXPECT_NE(reason.find("column FECHA_EXTRACCION: not a valid date"), std::string::npos);
    } else if (kind == "csv_invalid_code") {
      EXPECT_NE(reason.find("column COD_PRUEBA: code not in"), std::string::npos);
    } else if (kind == "csv_missing_columns" || kind == "csv_wrong_delimiter") {
      EXPECT_NE(reason.find("fields, contract has 19 columns"), std::string::npos);
    } else if (kind == "csv_bad_number") {
      EXPECT_FALSE(reason.empty());
    }
  }
}

}  // namespace
}  // namespace medlake::ingest::csv
