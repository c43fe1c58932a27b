#include "engine/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace medlake::engine {

Value Value::Bool(bool v) {
  Value x;
  x.kind = Kind::kBool;
  x.b = v;
  return x;
}
Value Value::Int(int64_t v) {
  Value x;
  x.kind = Kind::kInt;
  x.i = v;
  return x;
}
Value Value::UInt(uint64_t v) {
  Value x;
  x.kind = Kind::kUInt;
  x.u = v;
  return x;
}
Value Value::Double(double v) {
  Value x;
  x.kind = Kind::kDouble;
  x.d = v;
  return x;
}
Value Value::NumberText(std::string v) {
  Value x;
  x.kind = Kind::kNumberText;
  x.s = std::move(v);
  return x;
}
Value Value::Text(std::string v) {
  Value x;
  x.kind = Kind::kText;
  x.s = std::move(v);
  return x;
}
Value Value::Blob(std::string v) {
  Value x;
  x.kind = Kind::kBlob;
  x.s = std::move(v);
  return x;
}

namespace {
template <typename F>
std::string FormatFloating(F v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Text inside a nested value: DuckDB quotes strings in lists/structs only when needed; we keep
// its simple form (strings unquoted in lists, quoted with ' in structs).
void AppendNestedText(const Value& v, bool in_struct, std::string* out) {
  if (v.kind == Value::Kind::kText && in_struct) {
    *out += '\'';
    *out += v.s;
    *out += '\'';
  } else {
    *out += v.ToText();
  }
}
}  // namespace

std::string FormatDouble(double v) { return FormatFloating(v); }
std::string FormatFloat(float v) { return FormatFloating(v); }

std::string Value::ToText() const {
  switch (kind) {
    case Kind::kNull: return "NULL";
    case Kind::kBool: return b ? "true" : "false";
    case Kind::kInt: return std::to_string(i);
    case Kind::kUInt: return std::to_string(u);
    case Kind::kDouble: return FormatDouble(d);
    case Kind::kNumberText:
    case Kind::kText: return s;
    case Kind::kBlob: {
      std::string out;
      for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'' && c != '"') {
          out += static_cast<char>(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        }
      }
      return out;
    }
    case Kind::kList: {
      std::string out = "[";
      for (size_t k = 0; k < items.size(); ++k) {
        if (k) out += ", ";
        AppendNestedText(items[k], false, &out);
      }
      return out + "]";
    }
    case Kind::kStruct: {
      std::string out = "{";
      for (size_t k = 0; k < items.size(); ++k) {
        if (k) out += ", ";
        out += '\'';
        out += k < names.size() ? names[k] : "";
        out += "': ";
        AppendNestedText(items[k], true, &out);
      }
      return out + "}";
    }
    case Kind::kMap: {
      std::string out = "{";
      for (size_t k = 0; k + 1 < items.size(); k += 2) {
        if (k) out += ", ";
        AppendNestedText(items[k], false, &out);
        out += '=';
        AppendNestedText(items[k + 1], false, &out);
      }
      return out + "}";
    }
  }
  return "";
}

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the bytes not yet copied: runs are copied whole
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(u, sizeof u);
      }
    }
  }
  out->append(text.data() + run, text.size() - run);
  out->push_back('"');
}

void Value::AppendJson(std::string* out) const {
  switch (kind) {
    case Kind::kNull: *out += "null"; return;
    case Kind::kBool: *out += b ? "true" : "false"; return;
    case Kind::kInt: *out += std::to_string(i); return;
    case Kind::kUInt: *out += std::to_string(u); return;
    case Kind::kDouble:
      if (std::isfinite(d)) {
        *out += FormatDouble(d);
      } else {
        AppendJsonString(FormatDouble(d), out);
      }
      return;
    case Kind::kNumberText: *out += s; return;
    case Kind::kText:
    case Kind::kBlob: AppendJsonString(ToText(), out); return;
    case Kind::kList:
      *out += '[';
      for (size_t k = 0; k < items.size(); ++k) {
        if (k) *out += ',';
        items[k].AppendJson(out);
      }
      *out += ']';
      return;
    case Kind::kStruct:
      *out += '{';
      for (size_t k = 0; k < items.size(); ++k) {
        if (k) *out += ',';
        AppendJsonString(k < names.size() ? names[k] : "", out);
        *out += ':';
        items[k].AppendJson(out);
      }
      *out += '}';
      return;
    case Kind::kMap:
      *out += '{';
      for (size_t k = 0; k + 1 < items.size(); k += 2) {
        if (k) *out += ',';
        AppendJsonString(items[k].ToText(), out);
        *out += ':';
        items[k + 1].AppendJson(out);
      }
      *out += '}';
      return;
  }
}

bool Value::operator==(const Value& o) const {
  return kind == o.kind && b == o.b && i == o.i && u == o.u &&
         (d == o.d || (std::isnan(d) && std::isnan(o.d))) && s == o.s && names == o.names &&
         items == o.items;
}

}  // namespace medlake::engine
