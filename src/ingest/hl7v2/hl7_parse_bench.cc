// hl7_parse_bench: HL7 v2 parse rate on a corpus of .hl7 files (messages/s and MB/s).
//
//   medlake synth --patients 2000 --seed 1 --out /tmp/corpus --formats hl7
//   build/release/src/ingest/hl7v2/hl7_parse_bench /tmp/corpus [seconds-per-stage]
//
// Loads every *.hl7 file under the folder into memory, then measures, single-threaded:
//   split        SplitHl7Batch over each file buffer
//   parse        ParseHl7Message on every message span of the pre-split files, and the same
//                into one reused Hl7Message (ParseHl7MessageInto), and without the charset check
//   split+parse  ... and ParseHl7MessageInto one reused message, as the loaders do (structure,
//                delimiters, charset check and UTF-8 validation of every byte)
//   +summarize   ... and Summarize() (decoded header + PID-3/MRG-1 identifiers)
// Built only when MEDLAKE_BUILD_BENCH is ON; never a test. Run on a release build.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "ingest/hl7v2/hl7_batch.h"
#include "ingest/hl7v2/hl7_message.h"
#include "ingest/hl7v2/hl7_summary.h"

namespace {

using medlake::ingest::hl7v2::Hl7BatchSplit;
using medlake::ingest::hl7v2::Hl7Span;
using medlake::ingest::hl7v2::Hl7SpanKind;

std::vector<std::string> LoadCorpus(const std::string& root) {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".hl7") {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    files.push_back(out.str());
  }
  return files;
}

using Pass = medlake::bench::ItemPass;

void Measure(const char* name, double seconds, size_t bytes, const std::function<Pass()>& pass) {
  medlake::bench::MeasureItems(name, "messages", seconds, bytes, pass);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [seconds-per-stage]\n", argv[0]);
    return 2;
  }
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
  const std::vector<std::string> files = LoadCorpus(argv[1]);
  size_t bytes = 0;
  std::vector<Hl7BatchSplit> splits;
  size_t total_messages = 0;
  for (const std::string& f : files) {
    bytes += f.size();
    splits.push_back(medlake::ingest::hl7v2::SplitHl7Batch(f));
    total_messages += splits.back().message_count;
  }
  std::printf("corpus: %zu files, %zu messages, %.1f MB\n", files.size(), total_messages,
              static_cast<double>(bytes) / 1e6);
  if (total_messages == 0) {
    return 1;
  }

  Measure("split", seconds, bytes, [&] {
    Pass p;
    for (const std::string& f : files) {
      p.items += medlake::ingest::hl7v2::SplitHl7Batch(f).message_count;
    }
    return p;
  });
  Measure("parse (pre-split)", seconds, bytes, [&] {
    Pass p;
    for (size_t i = 0; i < files.size(); ++i) {
      for (const Hl7Span& s : splits[i].spans) {
        if (s.kind != Hl7SpanKind::kMessage) {
          continue;
        }
        auto m = medlake::ingest::hl7v2::ParseHl7Message(SpanBytes(files[i], s));
        ++p.items;
        p.failures += m.ok() ? 0 : 1;
      }
    }
    return p;
  });
  // What the loaders do: one message object per thread, reused (no allocation per message).
  Measure("parse (pre-split, reused)", seconds, bytes, [&] {
    Pass p;
    medlake::ingest::hl7v2::Hl7Message m;
    for (size_t i = 0; i < files.size(); ++i) {
      for (const Hl7Span& s : splits[i].spans) {
        if (s.kind != Hl7SpanKind::kMessage) {
          continue;
        }
        const auto st = medlake::ingest::hl7v2::ParseHl7MessageInto(SpanBytes(files[i], s), {}, &m);
        ++p.items;
        p.failures += st.ok() ? 0 : 1;
      }
    }
    return p;
  });
  // Like for like with parsers that do not check the character set (e.g. @medplum/core).
  Measure("parse, no charset check", seconds, bytes, [&] {
    Pass p;
    medlake::ingest::hl7v2::Hl7ParseOptions options;
    options.check_character_set = false;
    for (size_t i = 0; i < files.size(); ++i) {
      for (const Hl7Span& s : splits[i].spans) {
        if (s.kind != Hl7SpanKind::kMessage) {
          continue;
        }
        auto m = medlake::ingest::hl7v2::ParseHl7Message(SpanBytes(files[i], s), options);
        ++p.items;
        p.failures += m.ok() ? 0 : 1;
      }
    }
    return p;
  });
  // The loaders' path from here on: split, then parse into one reused message.
  Measure("split+parse", seconds, bytes, [&] {
    Pass p;
    medlake::ingest::hl7v2::Hl7Message m;
    for (const std::string& f : files) {
      const Hl7BatchSplit split = medlake::ingest::hl7v2::SplitHl7Batch(f);
      for (const Hl7Span& s : split.spans) {
        if (s.kind != Hl7SpanKind::kMessage) {
          continue;
        }
        const auto st = medlake::ingest::hl7v2::ParseHl7MessageInto(SpanBytes(f, s), {}, &m);
        ++p.items;
        p.failures += st.ok() ? 0 : 1;
      }
    }
    return p;
  });
  Measure("split+parse+summ", seconds, bytes, [&] {
    Pass p;
    medlake::ingest::hl7v2::Hl7Message m;
    for (const std::string& f : files) {
      const Hl7BatchSplit split = medlake::ingest::hl7v2::SplitHl7Batch(f);
      for (const Hl7Span& s : split.spans) {
        if (s.kind != Hl7SpanKind::kMessage) {
          continue;
        }
        const auto st = medlake::ingest::hl7v2::ParseHl7MessageInto(SpanBytes(f, s), {}, &m);
        ++p.items;
        if (!st.ok()) {
          ++p.failures;
          continue;
        }
        auto summary = medlake::ingest::hl7v2::Summarize(m);
        p.failures += summary.ok() ? 0 : 1;
      }
    }
    return p;
  });
  return 0;
}
