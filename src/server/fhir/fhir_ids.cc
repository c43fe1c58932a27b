#include "server/fhir/fhir_ids.h"

#include "core/crypto.h"

namespace medlake::server::fhir {
namespace {

bool IsAlnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase hex is not an encoding we produce: one spelling per key
}

}  // namespace

bool IsValidFhirId(std::string_view id) {
  if (id.empty() || id.size() > kMaxFhirIdLength) return false;
  for (char c : id) {
    if (!IsAlnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

std::string EncodeSourceKey(std::string_view source_key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(source_key.size() + 8);
  for (char c : source_key) {
    if (IsAlnum(c)) {
      out += c;
    } else if (c == '|') {
      out += '.';
    } else if (c == '.') {
      out += "-d";
    } else if (c == '-') {
      out += "-m";
    } else if (c == '/') {
      out += "-s";
    } else if (c == '_') {
      out += "-u";
    } else {
      auto b = static_cast<unsigned char>(c);
      out += "-x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  if (out.size() > kMaxFhirIdLength || out.empty()) {
    return "-h" + HexEncode(Sha256(source_key)).substr(0, 40);
  }
  return out;
}

std::optional<DecodedId> DecodeResourceId(std::string_view id) {
  if (!IsValidFhirId(id)) return std::nullopt;
  DecodedId out;
  if (id.size() == 42 && id.substr(0, 2) == "-h") {
    for (char c : id.substr(2)) {
      if (HexValue(c) < 0) return std::nullopt;
    }
    out.key_hash = std::string(id.substr(2));
    return out;
  }
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (IsAlnum(c)) {
      out.source_key += c;
      continue;
    }
    if (c == '.') {
      out.source_key += '|';
      continue;
    }
    // c == '-': an escape.
    if (i + 1 >= id.size()) return std::nullopt;
    char e = id[++i];
    switch (e) {
      case 'd': out.source_key += '.'; break;
      case 'm': out.source_key += '-'; break;
      case 's': out.source_key += '/'; break;
      case 'u': out.source_key += '_'; break;
      case 'x': {
        if (i + 2 >= id.size()) return std::nullopt;
        int hi = HexValue(id[i + 1]);
        int lo = HexValue(id[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        char decoded = static_cast<char>((hi << 4) | lo);
        // Bytes with their own short form are never written as -x: one id per key.
        if (IsAlnum(decoded) || decoded == '|' || decoded == '.' || decoded == '-' || decoded == '/' ||
            decoded == '_') {
          return std::nullopt;
        }
        out.source_key += decoded;
        i += 2;
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

}  // namespace medlake::server::fhir
