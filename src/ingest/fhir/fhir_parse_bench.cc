// fhir_parse_bench: FHIR NDJSON parse rate on one thread (resources/s and MB/s), the parse-only
// figure of the ingestion benchmark (bench/README.md §4).
//
//   medlake synth --patients 2000 --seed 1 --out /tmp/corpus --formats fhir
//   build/bench/src/ingest/fhir/fhir_parse_bench /tmp/corpus [seconds-per-stage]
//
// Loads every *.ndjson file under the folder into memory, splits it into lines, then measures:
//   summarize    FhirResourceSummarizer::Summarize on every line (simdjson parse, resourceType and
//                id checks, meta, patient reference, effective time): what the loader's reader
//                thread does per line
//   +sha256      ... and the SHA-256 of the line (the raw table's content hash)
// Reports the best round and the mean. Built only when MEDLAKE_BUILD_BENCH is ON; never a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench_util.h"
#include "core/crypto.h"
#include "ingest/fhir/fhir_resource.h"

namespace {

using Pass = medlake::bench::ItemPass;

void Measure(const char* name, double seconds, size_t bytes, const std::function<Pass()>& pass) {
  medlake::bench::MeasureItems(name, "resources", seconds, bytes, pass);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [seconds-per-stage]\n", argv[0]);
    return 2;
  }
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::recursive_directory_iterator(argv[1])) {
    if (e.is_regular_file() && e.path().extension() == ".ndjson") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> files;
  std::vector<std::string_view> lines;
  size_t bytes = 0;
  for (const std::string& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    files.push_back(out.str());
    bytes += files.back().size();
  }
  for (const std::string& f : files) {
    size_t start = 0;
    while (start < f.size()) {
      size_t end = f.find('\n', start);
      if (end == std::string::npos) end = f.size();
      if (end > start) lines.emplace_back(f.data() + start, end - start);
      start = end + 1;
    }
  }
  std::printf("corpus: %zu files, %zu resources, %.1f MB\n", files.size(), lines.size(),
              static_cast<double>(bytes) / 1e6);
  if (lines.empty()) return 1;
  medlake::ingest::fhir::FhirResourceSummarizer summarizer;
  Measure("summarize", seconds, bytes, [&] {
    Pass p;
    for (std::string_view line : lines) {
      auto s = summarizer.Summarize(line);
      ++p.items;
      p.failures += s.ok() ? 0 : 1;
    }
    return p;
  });
  Measure("+sha256", seconds, bytes, [&] {
    Pass p;
    size_t sink = 0;
    for (std::string_view line : lines) {
      auto s = summarizer.Summarize(line);
      ++p.items;
      p.failures += s.ok() ? 0 : 1;
      sink += medlake::Sha256(line)[0];
    }
    if (sink == 1) std::printf(" ");  // keep the hash from being optimized away
    return p;
  });
  return 0;
}
