#include "server/fhir/fhir_json_internal.h"

#include <charconv>
#include <string_view>

#include "engine/value.h"

namespace medlake::server::fhir::internal {
namespace {

bool Continuation(unsigned char c) { return c >= 0x80 && c <= 0xBF; }

// The length of the well-formed UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 when it is
// not one (Unicode Table 3-7: no overlong forms, surrogates or code points above U+10FFFF).
size_t SequenceLength(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = at(0);
  const size_t left = s.size() - i;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && Continuation(at(1)) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !Continuation(at(2))) return 0;
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return at(1) >= lo && at(1) <= hi ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !Continuation(at(2)) || !Continuation(at(3))) return 0;
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return at(1) >= lo && at(1) <= hi ? 4 : 0;
  }
  return 0;
}

void AppendString(std::string_view s, std::string* out) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = SequenceLength(s, i);
    if (n == 0) {
      // Invalid UTF-8: the library replaces each bad sequence with U+FFFD, by its own rules.
      out->append(Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace));
      return;
    }
    i += n;
  }
  engine::AppendJsonString(s, out);  // the library's escapes, for valid UTF-8
}

template <typename Int>
void AppendInteger(Int v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<size_t>(end - buf));
}

}  // namespace

void AppendCompactJson(const Json& j, std::string* out) {
  switch (j.type()) {
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : j.get_ref<const Json::object_t&>()) {
        if (!first) out->push_back(',');
        first = false;
        AppendString(key, out);
        out->push_back(':');
        AppendCompactJson(value, out);
      }
      out->push_back('}');
      return;
    }
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& value : j.get_ref<const Json::array_t&>()) {
        if (!first) out->push_back(',');
        first = false;
        AppendCompactJson(value, out);
      }
      out->push_back(']');
      return;
    }
    case Json::value_t::string: AppendString(j.get_ref<const Json::string_t&>(), out); return;
    case Json::value_t::boolean: out->append(j.get<bool>() ? "true" : "false"); return;
    case Json::value_t::null: out->append("null"); return;
    case Json::value_t::number_integer: AppendInteger(j.get<Json::number_integer_t>(), out); return;
    case Json::value_t::number_unsigned: AppendInteger(j.get<Json::number_unsigned_t>(), out); return;
    default:
      // Floats (shortest round-trip form, NaN as null), binary, discarded: the library's text.
      out->append(j.dump(-1, ' ', false, Json::error_handler_t::replace));
      return;
  }
}

std::string CompactJson(const Json& j) {
  std::string out;
  AppendCompactJson(j, &out);
  return out;
}

}  // namespace medlake::server::fhir::internal
