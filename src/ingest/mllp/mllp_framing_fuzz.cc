// libFuzzer target: the MLLP frame decoder must never crash, never buffer more than its cap, and
// account for every input byte, however the input is split into reads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ingest/mllp/mllp_framing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  // The first byte chooses the read size, so splits across reads are explored too.
  const size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  medlake::ingest::mllp::MllpFrameDecoder decoder(256);
  std::vector<medlake::ingest::mllp::MllpEvent> events;
  for (size_t i = 0; i < input.size(); i += chunk) {
    decoder.Feed(input.substr(i, chunk), &events);
    if (decoder.buffered() > 256)
      std::abort();
  }
  decoder.Finish(&events);
  for (const auto& e : events) {
    if (e.kind == medlake::ingest::mllp::MllpEventKind::kFrame && e.payload.size() > 256) {
      std::abort();
    }
  }
  return 0;
}
