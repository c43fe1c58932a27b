#include "core/uuid.h"

#include <cstring>

#include "core/crypto.h"

namespace medlake {

Result<Uuid> Uuid::RandomV4() {
  MEDLAKE_ASSIGN_OR_RETURN(std::string raw, RandomBytes(16));
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), raw.data(), 16);
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return Uuid(b);
}

Result<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return InvalidArgument("not a UUID (expected 8-4-4-4-12 hex digits)");
  }
  std::string hex;
  for (char c : text) {
    if (c != '-') hex += c;
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string raw, HexDecode(hex));
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), raw.data(), 16);
  return Uuid(b);
}

std::string Uuid::ToString() const {
  std::string hex =
      HexEncode(std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size()));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace medlake
