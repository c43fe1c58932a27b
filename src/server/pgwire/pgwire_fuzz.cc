// libFuzzer target for the pgwire decoders: every frontend message body and the startup packet,
// plus the parameter scanner. Nothing may crash, hang or read out of bounds on any input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/pgwire/protocol.h"
#include "server/pgwire/session.h"
#include "server/pgwire/types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using namespace medlake::server::pgwire;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0: (void)ParseStartupBody(body); break;
    case 1: (void)DecodeParse(body); break;
    case 2: (void)DecodeBind(body); break;
    case 3: (void)DecodeDescribe(body); break;
    case 4: (void)DecodeExecute(body); break;
    case 5: (void)DecodeSaslInitialResponse(body); break;
    case 6: (void)SubstituteParameters(body, {"1", "'x'"}); break;
    case 7:
      for (int32_t oid : {16, 20, 21, 23, 25, 700, 701, 1082, 1083, 1114, 1184, 1186, 1700, 2950, 17}) {
        (void)ParameterLiteral(std::string(body), oid, 1);
      }
      break;
  }
  return 0;
}
