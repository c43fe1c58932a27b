#include "ingest/fhir/bundle_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <array>

namespace medlake::ingest::fhir {
namespace {

namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

constexpr std::array<std::string_view, 9> kBundleTypes = {
    "document", "message",   "transaction", "transaction-response", "batch", "batch-response",
    "history",  "searchset", "collection"};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string EntryPath(size_t i) { return "entry[" + std::to_string(i) + "]"; }

// Reads an optional string member; sets *problem when present but not a string.
std::string OptionalString(const dom::object& obj, std::string_view key, const std::string& path,
                           std::string* problem) {
  dom::element el;
  if (obj.at_key(key).get(el) != simdjson::SUCCESS) {
    return "";
  }
  std::string_view s;
  if (el.get_string().get(s) != simdjson::SUCCESS) {
    if (problem->empty()) {
      *problem = path + "." + std::string(key) + " is not a string";
    }
    return "";
  }
  return std::string(s);
}

// Second pass: the exact text of every entry[i].resource that is an object, with the on-demand
// parser (which can return the raw text of an object). Runs only on input the DOM pass found
// valid, so errors here are not expected; they are reported per entry anyway.
void FindResourceSpans(std::string_view json, FhirBundle* bundle) {
  simdjson::padded_string padded(json);
  ondemand::parser parser;
  ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
    return;
  }
  ondemand::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) {
    return;
  }
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return;
    }
    if (key != "entry") {
      continue;
    }
    ondemand::array entries;
    if (field.value().get_array().get(entries) != simdjson::SUCCESS) {
      return;
    }
    size_t index = 0;
    for (auto item : entries) {
      ondemand::object entry;
      if (index >= bundle->entries.size()) {
        return;
      }
      FhirBundleEntry& out = bundle->entries[index++];
      if (item.get_object().get(entry) != simdjson::SUCCESS) {
        continue;
      }
      for (auto entry_field : entry) {
        std::string_view entry_key;
        if (entry_field.unescaped_key().get(entry_key) != simdjson::SUCCESS) {
          break;
        }
        if (entry_key != "resource") {
          continue;
        }
        ondemand::object resource;
        std::string_view raw;
        if (entry_field.value().get_object().get(resource) != simdjson::SUCCESS ||
            resource.raw_json().get(raw) != simdjson::SUCCESS) {
          break;
        }
        while (!raw.empty() && IsWhitespace(raw.back())) {
          raw.remove_suffix(1);
        }
        const auto offset = static_cast<size_t>(raw.data() - padded.data());
        // The first "resource" key wins, as in the DOM pass.
        if (out.resource_json.empty()) {
          out.resource_offset = offset;
          out.resource_json = json.substr(offset, raw.size());
        }
        break;
      }
    }
    return;  // only the first "entry" key counts, as in the DOM pass
  }
}

}  // namespace

bool IsFhirBundleType(std::string_view type) {
  return std::find(kBundleTypes.begin(), kBundleTypes.end(), type) != kBundleTypes.end();
}

Result<FhirBundle> ReadBundle(std::string_view json) {
  // First pass: full validation (the on-demand parser alone would not look at skipped parts).
  dom::parser parser;
  dom::element root;
  const simdjson::error_code parse_error = parser.parse(json.data(), json.size()).get(root);
  if (parse_error != simdjson::SUCCESS) {
    return InvalidArgument(std::string("Bundle is not valid JSON (") +
                           simdjson::error_message(parse_error) + ")");
  }
  dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return InvalidArgument("Bundle is not a JSON object");
  }
  dom::element el;
  std::string_view text;
  if (obj.at_key("resourceType").get(el) != simdjson::SUCCESS ||
      el.get_string().get(text) != simdjson::SUCCESS || text != "Bundle") {
    return InvalidArgument("resourceType is not \"Bundle\"");
  }
  FhirBundle bundle;
  if (obj.at_key("type").get(el) != simdjson::SUCCESS) {
    return InvalidArgument("Bundle.type missing");
  }
  if (el.get_string().get(text) != simdjson::SUCCESS || !IsFhirBundleType(text)) {
    return InvalidArgument("Bundle.type is not an R4 bundle type");
  }
  bundle.type = std::string(text);
  if (obj.at_key("id").get(el) == simdjson::SUCCESS) {
    if (el.get_string().get(text) != simdjson::SUCCESS) {
      return InvalidArgument("Bundle.id is not a string");
    }
    bundle.id = std::string(text);
  }
  if (obj.at_key("entry").get(el) != simdjson::SUCCESS) {
    return bundle;  // an empty Bundle (e.g. a searchset with no match) is valid
  }
  dom::array entries;
  if (el.get_array().get(entries) != simdjson::SUCCESS) {
    return InvalidArgument("Bundle.entry is not an array");
  }
  bool any_resource = false;
  size_t index = 0;
  for (dom::element item : entries) {
    FhirBundleEntry entry;
    entry.index = index++;
    const std::string path = EntryPath(entry.index);
    dom::object entry_obj;
    if (item.get_object().get(entry_obj) != simdjson::SUCCESS) {
      entry.problem = path + " is not an object";
      bundle.entries.push_back(std::move(entry));
      continue;
    }
    entry.full_url = OptionalString(entry_obj, "fullUrl", path, &entry.problem);
    if (entry_obj.at_key("request").get(el) == simdjson::SUCCESS) {
      dom::object request;
      if (el.get_object().get(request) != simdjson::SUCCESS) {
        entry.problem = path + ".request is not an object";
      } else {
        const std::string request_path = path + ".request";
        entry.request_method = OptionalString(request, "method", request_path, &entry.problem);
        entry.request_url = OptionalString(request, "url", request_path, &entry.problem);
      }
    }
    if (entry_obj.at_key("resource").get(el) == simdjson::SUCCESS) {
      if (el.is_object()) {
        entry.has_resource = true;
        any_resource = true;
      } else if (entry.problem.empty()) {
        entry.problem = path + ".resource is not an object";
      }
    }
    bundle.entries.push_back(std::move(entry));
  }
  if (any_resource) {
    FindResourceSpans(json, &bundle);
    for (FhirBundleEntry& entry : bundle.entries) {
      if (entry.has_resource && entry.resource_json.empty() && entry.problem.empty()) {
        entry.problem = EntryPath(entry.index) + ".resource could not be located";
      }
    }
  }
  return bundle;
}

}  // namespace medlake::ingest::fhir
