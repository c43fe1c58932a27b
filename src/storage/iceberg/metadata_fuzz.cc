// libFuzzer target: feeds arbitrary bytes to the metadata file reader (gzip or plain JSON, then
// the table metadata parser). Built only with -DMEDLAKE_BUILD_FUZZERS=ON (the fuzz preset, clang):
//   build/fuzz/src/storage/medlake_metadata_fuzz -max_len=65536 corpus/
// Seed the corpus with MEDLAKE_FIXTURES_DIR/iceberg/*/metadata/*.metadata.json and gzip copies.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/iceberg/metadata_file.h"
#include "storage/iceberg/table_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ib = medlake::storage::iceberg;
  // A small inflate limit keeps compression bombs within the fuzzer's RSS limit.
  auto text = ib::MetadataFileText(std::string(reinterpret_cast<const char*>(data), size), size_t{16} << 20);
  if (!text.ok()) return 0;
  auto md = ib::ParseTableMetadata(*text);
  if (!md.ok()) return 0;
  // Whatever parses must serialize to text that parses again, and the gzip file must hold
  // exactly that text.
  const std::string plain = ib::SerializeTableMetadata(*md);
  if (!ib::ParseTableMetadata(plain).ok()) __builtin_trap();
  auto unzipped = ib::MetadataFileText(ib::SerializeMetadataFile(*md, ib::MetadataCodec::kGzip));
  if (!unzipped.ok() || *unzipped != plain) __builtin_trap();
  return 0;
}
