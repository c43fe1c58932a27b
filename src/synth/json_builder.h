// synth/json_builder.h: a small, fast JSON text builder for FHIR resources.
//
// Members come out in the order they are added (FHIR does not care about order; keeping the
// resource's own element order makes the output easy to read). Strings are escaped per RFC 8259;
// numbers are written with a fixed count of decimals, so output never depends on locale or on
// the standard library's shortest-float algorithm.
//
// Thread-safety: a value; one per thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace medlake::synth {

class JsonBuilder {
 public:
  JsonBuilder& BeginObject(std::string_view key = {});
  JsonBuilder& EndObject();
  JsonBuilder& BeginArray(std::string_view key = {});
  JsonBuilder& EndArray();
  JsonBuilder& String(std::string_view key, std::string_view value);
  // A string array element.
  JsonBuilder& String(std::string_view value) { return String({}, value); }
  JsonBuilder& Bool(std::string_view key, bool value);
  JsonBuilder& Number(std::string_view key, double value, int decimals);
  // A FHIR Reference: {"reference": "<type>/<id>"}.
  JsonBuilder& Reference(std::string_view key, std::string_view type, std::string_view id);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }
  void Clear() {
    out_.clear();
    first_.clear();
  }

 private:
  void Key(std::string_view key);
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written yet
};

// Appends `s` to `out` as a quoted, escaped JSON string.
void AppendJsonQuoted(std::string* out, std::string_view s);

}  // namespace medlake::synth
