// libFuzzer target: feeds arbitrary bytes to the Avro container reader and decodes every record.
// Built only with -DMEDLAKE_BUILD_FUZZERS=ON (the fuzz preset, clang):
//   build/fuzz/src/storage/medlake_avro_fuzz -max_len=65536 corpus/
// Seed the corpus with the fixture files: MEDLAKE_FIXTURES_DIR/iceberg/*/metadata/*.avro.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/avro/avro_binary.h"
#include "storage/avro/avro_container.h"
#include "storage/avro/avro_value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using medlake::storage::AvroFileReader;
  using medlake::storage::AvroReaderOptions;
  using medlake::storage::AvroValue;

  AvroReaderOptions options;
  options.max_block_bytes = size_t{16}
                            << 20;  // keeps compression bombs within the fuzzer's RSS limit
  auto reader =
      AvroFileReader::Open(std::string(reinterpret_cast<const char*>(data), size), options);
  if (!reader.ok())
    return 0;
  // Whatever decodes must also encode again under the same schema.
  const auto& schema = (*reader)->schema();
  AvroValue record;
  for (;;) {
    auto more = (*reader)->Next(&record);
    if (!more.ok() || !*more)
      break;
    std::string bytes;
    if (!medlake::storage::EncodeAvroDatum(schema.root(), record, &bytes).ok())
      __builtin_trap();
  }
  (void)schema.ToJson();
  return 0;
}
