// libFuzzer target for the FHIRPath engine and ViewDefinition parsing: the input is compiled as a
// FHIRPath expression and, when it compiles, evaluated on a small synthetic resource; it is also
// parsed as a ViewDefinition and, when valid, evaluated on the same resource. Every outcome must
// be a value: no crash, no sanitizer report, no exception.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "pipeline/sof/fhirpath.h"
#include "pipeline/sof/view_definition.h"

namespace {

const nlohmann::json& Resource() {
  static const nlohmann::json kResource = nlohmann::json::parse(R"j({
    "resourceType": "Patient", "id": "p1", "active": true, "birthDate": "1970-06",
    "name": [{"use": "official", "family": "Alpha", "given": ["Ann", "Beth"]}],
    "valueQuantity": {"value": 1.5, "unit": "mg"}, "multipleBirthInteger": 3,
    "extension": [{"url": "u", "valueCode": "x"}],
    "item": [{"linkId": "1", "item": [{"linkId": "1.1"}]}],
    "link": [{"other": {"reference": "Patient/p2"}}]})j");
  return kResource;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  medlake::pipeline::sof::FhirPathCompileOptions options;
  options.constant_names = {"c"};
  auto expr = medlake::pipeline::sof::FhirPathExpression::Compile(input, options);
  if (expr.ok()) {
    const nlohmann::json constant = "Alpha";
    const std::vector<medlake::pipeline::sof::FhirPathItem> constants = {{&constant, "string"}};
    medlake::pipeline::sof::FhirPathContext context;
    context.set_resource(&Resource());
    context.set_constants(constants);
    medlake::pipeline::sof::FhirPathCollection out;
    (void)expr->Evaluate({{&Resource(), ""}}, &context, &out);
    (void)expr->StaticType();
  }
  auto view = medlake::pipeline::sof::ViewDefinition::Parse(input);
  if (view.ok()) {
    std::vector<std::vector<nlohmann::json>> rows;
    (void)view->Evaluate(Resource(), &rows);
  }
  return 0;
}
