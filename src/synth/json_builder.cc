#include "synth/json_builder.h"

#include <cstdio>

namespace medlake::synth {

void AppendJsonQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  // Copy runs of plain characters in one go; escape the rest.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\')
      continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    if (u == '"' || u == '\\') {
      out->push_back('\\');
      out->push_back(s[i]);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out->append(buf);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void JsonBuilder::Key(std::string_view key) {
  if (!first_.empty()) {
    if (!first_.back())
      out_.push_back(',');
    first_.back() = false;
  }
  if (!key.empty()) {
    AppendJsonQuoted(&out_, key);
    out_.push_back(':');
  }
}

JsonBuilder& JsonBuilder::BeginObject(std::string_view key) {
  Key(key);
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}

JsonBuilder& JsonBuilder::EndObject() {
  out_.push_back('}');
  first_.pop_back();
  return *this;
}

JsonBuilder& JsonBuilder::BeginArray(std::string_view key) {
  Key(key);
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}

JsonBuilder& JsonBuilder::EndArray() {
  out_.push_back(']');
  first_.pop_back();
  return *this;
}

JsonBuilder& JsonBuilder::String(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonQuoted(&out_, value);
  return *this;
}

JsonBuilder& JsonBuilder::Bool(std::string_view key, bool value) {
  Key(key);
  out_.append(value ? "true" : "false");
  return *this;
}

JsonBuilder& JsonBuilder::Number(std::string_view key, double value, int decimals) {
  Key(key);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  out_.append(buf);
  return *this;
}

JsonBuilder& JsonBuilder::Reference(std::string_view key, std::string_view type,
                                    std::string_view id) {
  BeginObject(key);
  Key("reference");
  out_.push_back('"');
  out_.append(type);
  out_.push_back('/');
  out_.append(id);
  out_.push_back('"');
  return EndObject();
}

}  // namespace medlake::synth
