// medlake_fuzz_replay NAME PATH...: runs fuzz target NAME (a libFuzzer entry point built into
// this program under another name) once on every file under each PATH: a file, or a folder read
// recursively in sorted order. Files over 1 MiB are read up to that size, as a fuzzer's -max_len
// would cut them. It is what keeps the fuzz targets compiling and their seeds (and every input
// that once crashed a target, kept in test/fuzz/<NAME>/) passing in ordinary test builds: a
// target reports a failure by crashing, and this program then dies with it.
//
// Exit status: 0 when every input ran; 2 for a usage error, an unknown target, a PATH that does
// not exist or no input at all (a replay over nothing proves nothing).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "fuzz_replay.h"

namespace {

namespace fs = std::filesystem;
constexpr size_t kMaxInput = size_t{1} << 20;

bool ReadPrefix(const fs::path& file, std::string* out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  out->assign(kMaxInput, '\0');
  in.read(out->data(), static_cast<std::streamsize>(kMaxInput));
  out->resize(static_cast<size_t>(in.gcount()));
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  using medlake::testing::kFuzzTargetCount;
  using medlake::testing::kFuzzTargets;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s TARGET PATH...\ntargets:", argv[0]);
    for (size_t i = 0; i < kFuzzTargetCount; ++i) std::fprintf(stderr, " %s", kFuzzTargets[i].name);
    std::fprintf(stderr, "\n");
    return 2;
  }
  const medlake::testing::FuzzTarget* target = nullptr;
  for (size_t i = 0; i < kFuzzTargetCount; ++i) {
    if (std::strcmp(kFuzzTargets[i].name, argv[1]) == 0) target = &kFuzzTargets[i];
  }
  if (target == nullptr) {
    std::fprintf(stderr, "unknown fuzz target %s\n", argv[1]);
    return 2;
  }
  std::vector<fs::path> files;
  for (int a = 2; a < argc; ++a) {
    const fs::path path(argv[a]);
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else if (fs::is_directory(path, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      if (ec) {
        std::fprintf(stderr, "cannot list %s: %s\n", argv[a], ec.message().c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "no such file or folder: %s\n", argv[a]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no inputs for %s\n", target->name);
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  size_t bytes = 0;
  std::string data;
  for (const fs::path& file : files) {
    if (!ReadPrefix(file, &data)) {
      std::fprintf(stderr, "cannot read %s\n", file.c_str());
      return 2;
    }
    // Printed before the run: when a target crashes, the last line names the input.
    std::fprintf(stderr, "%s\n", file.c_str());
    target->entry(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    bytes += data.size();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu inputs, %zu bytes, %.2f s\n", target->name, files.size(), bytes, seconds);
  return 0;
}
