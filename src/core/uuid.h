// core/uuid.h: RFC 4122 UUIDs (version 4, random) as 16 bytes, with text form.
//
// Thread-safety: a value type.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake {

class Uuid {
 public:
  Uuid() = default;  // the nil UUID
  explicit Uuid(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}

  // A random version-4 UUID from the cryptographic generator. IOError if it fails.
  static Result<Uuid> RandomV4();
  // Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case). InvalidArgument otherwise.
  static Result<Uuid> Parse(std::string_view text);

  // Lowercase canonical 36-character form.
  std::string ToString() const;
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  int version() const { return bytes_[6] >> 4; }
  bool operator==(const Uuid& o) const { return bytes_ == o.bytes_; }

 private:
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace medlake
