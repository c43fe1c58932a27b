// libFuzzer target: the HTTP/1.1 request parser must never crash, never hold a body above its
// limit, and either consume every byte it is given or stop at a request's end or an error,
// however the input is split into reads. Complete requests also go through the URL decoders.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/http/http_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  // The first byte chooses the read size, so splits across reads are explored too.
  const size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  medlake::server::http::HttpLimits limits;
  limits.max_request_line_bytes = 256;
  limits.max_header_bytes = 1024;
  limits.max_header_count = 16;
  limits.max_body_bytes = 512;
  limits.max_chunk_line_bytes = 64;
  medlake::server::http::HttpRequestParser parser(limits);
  size_t pos = 0;
  while (pos < input.size()) {
    std::string_view piece = input.substr(pos, chunk);
    size_t used = parser.Feed(piece);
    if (used > piece.size()) {
      std::abort();
    }
    pos += used;
    if (parser.failed()) {
      if (parser.error().http_status < 400 || parser.error().message.empty()) {
        std::abort();
      }
      break;
    }
    if (parser.complete()) {
      medlake::server::http::ParsedRequest r = parser.TakeRequest();
      if (r.body.size() > limits.max_body_bytes) {
        std::abort();
      }
      (void)medlake::server::http::ParseUrlEncoded(r.raw_query);
      (void)medlake::server::http::SplitPath(r.raw_path);
      parser.Reset();
    } else if (used != piece.size()) {
      std::abort();  // waiting for more input must mean everything was consumed
    }
  }
  return 0;
}
