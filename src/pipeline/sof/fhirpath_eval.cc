// Evaluator of the FHIRPath engine: walks the AST built by fhirpath_parser.cc over collections
// of borrowed JSON nodes. Semantics follow FHIRPath N1: collections everywhere, empty
// propagation, three-valued boolean logic, "singleton evaluation of collections", and the
// FHIR-specific parts used by SQL on FHIR v2 (choice elements, extension(), getResourceKey(),
// getReferenceKey(), lowBoundary()/highBoundary()).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "pipeline/sof/fhirpath.h"
#include "pipeline/sof/fhirpath_internal.h"

namespace medlake::pipeline::sof {

using nlohmann::json;

namespace {

// FHIR R4/R5 data types that can appear as a choice-element suffix or a type specifier.
constexpr std::string_view kPrimitiveTypes[] = {
    "base64Binary", "boolean", "canonical",   "code",      "date",     "dateTime", "decimal",
    "id",           "instant", "integer",     "integer64", "markdown", "oid",      "positiveInt",
    "string",       "time",    "unsignedInt", "uri",       "url",      "uuid",     "xhtml"};
constexpr std::string_view kComplexTypes[] = {"Address",
                                              "Age",
                                              "Annotation",
                                              "Attachment",
                                              "Availability",
                                              "BackboneElement",
                                              "CodeableConcept",
                                              "CodeableReference",
                                              "Coding",
                                              "ContactDetail",
                                              "ContactPoint",
                                              "Contributor",
                                              "Count",
                                              "DataRequirement",
                                              "Distance",
                                              "Dosage",
                                              "Duration",
                                              "Element",
                                              "Expression",
                                              "ExtendedContactDetail",
                                              "Extension",
                                              "HumanName",
                                              "Identifier",
                                              "Meta",
                                              "MonetaryComponent",
                                              "Money",
                                              "Narrative",
                                              "ParameterDefinition",
                                              "Period",
                                              "Quantity",
                                              "Range",
                                              "Ratio",
                                              "RatioRange",
                                              "Reference",
                                              "RelatedArtifact",
                                              "SampledData",
                                              "Signature",
                                              "Timing",
                                              "TriggerDefinition",
                                              "UsageContext",
                                              "VirtualServiceDetail"};

bool EqualsIgnoringFirstCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) {
    return false;
  }
  return std::tolower(static_cast<unsigned char>(a[0])) ==
             std::tolower(static_cast<unsigned char>(b[0])) &&
         a.substr(1) == b.substr(1);
}

bool IsPrimitiveType(std::string_view canonical) {
  return std::find(std::begin(kPrimitiveTypes), std::end(kPrimitiveTypes), canonical) !=
         std::end(kPrimitiveTypes);
}

bool IsComplexType(std::string_view canonical) {
  return std::find(std::begin(kComplexTypes), std::end(kComplexTypes), canonical) !=
         std::end(kComplexTypes);
}

}  // namespace

std::string_view CanonicalFhirTypeName(std::string_view name) {
  if (name.substr(0, 5) == "FHIR.") {
    name.remove_prefix(5);
  } else if (name.substr(0, 7) == "System.") {
    name.remove_prefix(7);
    static constexpr std::pair<std::string_view, std::string_view> kSystem[] = {
        {"String", "string"},   {"Integer", "integer"},   {"Decimal", "decimal"},
        {"Boolean", "boolean"}, {"Date", "date"},         {"DateTime", "dateTime"},
        {"Time", "time"},       {"Quantity", "Quantity"}, {"Long", "integer64"}};
    for (const auto& [system, fhir] : kSystem) {
      if (system == name) {
        return fhir;
      }
    }
    return "";
  }
  for (std::string_view t : kPrimitiveTypes) {
    if (EqualsIgnoringFirstCase(t, name)) {
      return t;
    }
  }
  for (std::string_view t : kComplexTypes) {
    if (EqualsIgnoringFirstCase(t, name)) {
      return t;
    }
  }
  return "";
}

FhirPathContext::FhirPathContext() : true_(true), false_(false) {}

const json* FhirPathContext::Own(json value) {
  owned_.push_back(std::move(value));
  return &owned_.back();
}

namespace {

using internal::BinaryOp;
using internal::Function;
using internal::Node;
using internal::NodeKind;
using internal::Temporal;
using internal::TemporalKind;

Status EvalError(std::string what) { return InvalidArgument("FHIRPath evaluation: " + what); }

std::string_view JsonKindName(const json& j) {
  switch (j.type()) {
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "decimal";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    default:
      return "null";
  }
}

bool IsTemporalType(std::string_view type) {
  return type == "date" || type == "dateTime" || type == "instant" || type == "time";
}

TemporalKind TemporalKindOfType(std::string_view type) {
  if (type == "date") {
    return TemporalKind::kDate;
  }
  if (type == "time") {
    return TemporalKind::kTime;
  }
  return TemporalKind::kDateTime;
}

// Parses a string item as a date/time: by its type when it has one, else by its shape.
std::optional<Temporal> ItemTemporal(const FhirPathItem& item) {
  if (!item.node->is_string()) {
    return std::nullopt;
  }
  const std::string& s = item.node->get_ref<const std::string&>();
  if (IsTemporalType(item.type)) {
    return internal::ParseTemporal(s, TemporalKindOfType(item.type));
  }
  std::optional<TemporalKind> kind = internal::GuessTemporalKind(s);
  if (!kind) {
    return std::nullopt;
  }
  return internal::ParseTemporal(s, *kind);
}

bool IsInteger(const json& j) { return j.is_number_integer(); }

// Reads an integer JSON number as int64 (unsigned values above INT64_MAX fail).
std::optional<int64_t> AsInt64(const json& j) {
  if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    return static_cast<int64_t>(u);
  }
  if (j.is_number_integer()) {
    return j.get<int64_t>();
  }
  return std::nullopt;
}

double AsDouble(const json& j) { return j.get<double>(); }

int CompareNumbers(const json& a, const json& b) {
  std::optional<int64_t> ia = AsInt64(a);
  std::optional<int64_t> ib = AsInt64(b);
  if (ia && ib) {
    return *ia < *ib ? -1 : (*ia > *ib ? 1 : 0);
  }
  double da = AsDouble(a);
  double db = AsDouble(b);
  return da < db ? -1 : (da > db ? 1 : 0);
}

// Deep equality of JSON values with numbers compared by value.
bool JsonEqual(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    return CompareNumbers(a, b) == 0;
  }
  if (a.type() != b.type()) {
    return false;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !JsonEqual(it.value(), *other)) {
        return false;
      }
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
      if (!JsonEqual(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  return a == b;
}

// FHIRPath '=' on two items: true/false, or nullopt (uncertain date/time precision).
std::optional<bool> ItemsEqual(const FhirPathItem& a, const FhirPathItem& b) {
  const json& ja = *a.node;
  const json& jb = *b.node;
  if (ja.is_string() && jb.is_string() && (IsTemporalType(a.type) || IsTemporalType(b.type))) {
    std::optional<Temporal> ta = ItemTemporal(a);
    std::optional<Temporal> tb = ItemTemporal(b);
    if (ta && tb) {
      std::optional<int> cmp = internal::CompareTemporal(*ta, *tb);
      if (!cmp) {
        return std::nullopt;
      }
      return *cmp == 0;
    }
  }
  return JsonEqual(ja, jb);
}

std::string NormalizeForEquivalence(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out.push_back(' ');
      space = false;
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// FHIRPath '~' on two items.
bool ItemsEquivalent(const FhirPathItem& a, const FhirPathItem& b) {
  const json& ja = *a.node;
  const json& jb = *b.node;
  if (ja.is_string() && jb.is_string()) {
    if (IsTemporalType(a.type) || IsTemporalType(b.type)) {
      std::optional<bool> eq = ItemsEqual(a, b);
      return eq.value_or(false);
    }
    return NormalizeForEquivalence(ja.get_ref<const std::string&>()) ==
           NormalizeForEquivalence(jb.get_ref<const std::string&>());
  }
  if (ja.is_number() && jb.is_number() && (!IsInteger(ja) || !IsInteger(jb))) {
    // Decimals are equivalent when equal at the precision of the less precise one; with binary
    // doubles, compare with a relative tolerance instead.
    double da = AsDouble(ja);
    double db = AsDouble(jb);
    return std::fabs(da - db) <= 1e-9 * std::max(1.0, std::max(std::fabs(da), std::fabs(db)));
  }
  return JsonEqual(ja, jb);
}

// Quantity value/unit, for comparing Quantities with the same unit.
bool QuantityParts(const json& j, double* value, std::string* unit) {
  if (!j.is_object()) {
    return false;
  }
  auto v = j.find("value");
  if (v == j.end() || !v->is_number()) {
    return false;
  }
  *value = v->get<double>();
  auto code = j.find("code");
  auto u = j.find("unit");
  if (code != j.end() && code->is_string()) {
    *unit = code->get<std::string>();
  } else if (u != j.end() && u->is_string()) {
    *unit = u->get<std::string>();
  } else {
    unit->clear();
  }
  return true;
}

// FHIRPath ordering ('<' etc.) of two items: -1/0/1, nullopt when uncertain, error when the
// kinds cannot be compared.
Result<std::optional<int>> CompareItems(const FhirPathItem& a, const FhirPathItem& b) {
  const json& ja = *a.node;
  const json& jb = *b.node;
  if (ja.is_number() && jb.is_number()) {
    return std::optional<int>(CompareNumbers(ja, jb));
  }
  if (ja.is_string() && jb.is_string()) {
    if (IsTemporalType(a.type) || IsTemporalType(b.type)) {
      std::optional<Temporal> ta = ItemTemporal(a);
      std::optional<Temporal> tb = ItemTemporal(b);
      if (ta && tb) {
        return internal::CompareTemporal(*ta, *tb);
      }
      return std::optional<int>();
    }
    int c = ja.get_ref<const std::string&>().compare(jb.get_ref<const std::string&>());
    return std::optional<int>(c < 0 ? -1 : (c > 0 ? 1 : 0));
  }
  double va = 0;
  double vb = 0;
  std::string ua;
  std::string ub;
  if (QuantityParts(ja, &va, &ua) && QuantityParts(jb, &vb, &ub)) {
    if (ua != ub) {
      return std::optional<int>();
    }
    return std::optional<int>(va < vb ? -1 : (va > vb ? 1 : 0));
  }
  return EvalError("cannot compare " + std::string(JsonKindName(ja)) + " with " +
                   std::string(JsonKindName(jb)));
}

// The shortest text of a JSON number (what the source most likely said, e.g. "1.0").
std::string NumberText(const json& j) { return j.dump(); }

// Digits after the decimal point of a JSON number as written (0 for integers).
int DecimalPrecision(const json& j) {
  if (j.is_number_integer()) {
    return 0;
  }
  std::string text = NumberText(j);
  int exponent = 0;
  size_t e = text.find_first_of("eE");
  if (e != std::string::npos) {
    exponent = std::atoi(text.c_str() + e + 1);
    text.resize(e);
  }
  size_t dot = text.find('.');
  int digits = dot == std::string::npos ? 0 : static_cast<int>(text.size() - dot - 1);
  int precision = digits - exponent;
  return precision < 0 ? 0 : precision;
}

// lowBoundary/highBoundary of a decimal with `precision` digits after the point: the value
// -/+ half a unit of the last digit; `out_precision` (if >= 0) rounds the result down/up.
double DecimalBoundary(const json& j, bool high, int out_precision) {
  const double v = AsDouble(j);
  const int p = DecimalPrecision(j);
  double result = 0;
  if (p + 1 <= 15 && std::fabs(v) * std::pow(10.0, p + 1) < 9e15) {
    // Exact in scaled integers: v * 10^(p+1) -/+ 5, divided back (correctly rounded).
    const double scale = std::pow(10.0, p + 1);
    const double scaled = std::nearbyint(v * scale) + (high ? 5 : -5);
    result = scaled / scale;
  } else {
    result = v + (high ? 0.5 : -0.5) * std::pow(10.0, -p);
  }
  if (out_precision >= 0 && out_precision <= 15) {
    const double scale = std::pow(10.0, out_precision);
    result = (high ? std::ceil(result * scale) : std::floor(result * scale)) / scale;
  }
  return result;
}

// FHIRPath type test of one item against a canonical type name / resource type name.
bool MatchesType(const FhirPathItem& item, std::string_view want) {
  if (!item.type.empty()) {
    return item.type == want;
  }
  const json& j = *item.node;
  switch (j.type()) {
    case json::value_t::boolean:
      return want == "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return want == "integer" || want == "positiveInt" || want == "unsignedInt" ||
             want == "integer64" || want == "decimal";
    case json::value_t::number_float:
      return want == "decimal";
    case json::value_t::string:
      return IsPrimitiveType(want) && want != "boolean" && want != "integer" && want != "decimal" &&
             want != "positiveInt" && want != "unsignedInt" && want != "integer64";
    case json::value_t::object: {
      auto rt = j.find("resourceType");
      if (rt != j.end() && rt->is_string()) {
        return rt->get_ref<const std::string&>() == want || want == "Resource" ||
               want == "DomainResource";
      }
      return IsComplexType(want);
    }
    default:
      return false;
  }
}

// Text of a primitive item per FHIRPath toString(); nullopt for objects.
std::optional<std::string> ItemToString(const FhirPathItem& item) {
  const json& j = *item.node;
  switch (j.type()) {
    case json::value_t::string:
      return j.get<std::string>();
    case json::value_t::boolean:
      return std::string(j.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return NumberText(j);
    case json::value_t::object: {
      double value = 0;
      std::string unit;
      if (item.type == "Quantity" && QuantityParts(j, &value, &unit)) {
        return NumberText(*j.find("value")) + " '" + unit + "'";
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

void AppendValue(const json& value, std::string_view type, FhirPathCollection* out) {
  if (value.is_array()) {
    for (const json& element : value) {
      if (!element.is_null()) {
        out->push_back({&element, type});
      }
    }
  } else if (!value.is_null()) {
    out->push_back({&value, type});
  }
}

// Member navigation on one item (FHIRPath "Path selection"), with FHIR choice elements:
// `value` finds `valueQuantity` etc. and types the result by the suffix.
void Navigate(const FhirPathItem& item, std::string_view name, FhirPathCollection* out) {
  const json& node = *item.node;
  if (!node.is_object()) {
    return;
  }
  const json::object_t& object = node.get_ref<const json::object_t&>();
  auto it = object.find(name);
  if (it != object.end()) {
    AppendValue(it->second, "", out);
    return;
  }
  if (!name.empty() && std::isupper(static_cast<unsigned char>(name[0]))) {
    // A leading type name: `Patient.name` evaluated on a Patient.
    auto rt = object.find(std::string_view("resourceType"));
    if (rt != object.end() && rt->second.is_string() &&
        rt->second.get_ref<const std::string&>() == name) {
      out->push_back(item);
    }
    return;
  }
  for (auto c = object.lower_bound(name); c != object.end(); ++c) {
    std::string_view key = c->first;
    if (key.substr(0, name.size()) != name) {
      break;
    }
    std::string_view suffix = key.substr(name.size());
    if (suffix.empty() || !std::isupper(static_cast<unsigned char>(suffix[0]))) {
      continue;
    }
    std::string_view type = CanonicalFhirTypeName(suffix);
    if (!type.empty()) {
      AppendValue(c->second, type, out);
    }
  }
}

// The id part of a reference ("Patient/123", ".../Patient/123/_history/2") when its type is
// `type` (any type if empty); nullopt for other forms (contained "#x", urn:uuid:...).
std::optional<std::string> ReferenceKey(std::string_view reference, std::string_view type) {
  size_t history = reference.find("/_history/");
  if (history != std::string_view::npos) {
    reference = reference.substr(0, history);
  }
  size_t slash = reference.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= reference.size()) {
    return std::nullopt;
  }
  std::string_view id = reference.substr(slash + 1);
  std::string_view rest = reference.substr(0, slash);
  size_t type_start = rest.rfind('/');
  std::string_view ref_type =
      type_start == std::string_view::npos ? rest : rest.substr(type_start + 1);
  if (ref_type.empty() || !std::isupper(static_cast<unsigned char>(ref_type[0]))) {
    return std::nullopt;
  }
  if (!type.empty() && ref_type != type) {
    return std::nullopt;
  }
  return std::string(id);
}

class Evaluator {
 public:
  explicit Evaluator(FhirPathContext* context) : ctx_(context) {}

  Status Eval(const Node& n, const FhirPathCollection& input, FhirPathCollection* out) {
    switch (n.kind) {
      case NodeKind::kEmpty:
        return Status::OK();
      case NodeKind::kLiteral:
        out->push_back({&n.literal, n.literal_type});
        return Status::OK();
      case NodeKind::kThis:
        out->insert(out->end(), input.begin(), input.end());
        return Status::OK();
      case NodeKind::kIndex:
        out->push_back({ctx_->Own(index_), "integer"});
        return Status::OK();
      case NodeKind::kConstant: {
        std::span<const FhirPathItem> constants = ctx_->constants();
        if (n.slot < 0 || static_cast<size_t>(n.slot) >= constants.size()) {
          return EvalError("constant %" + n.name + " has no value");
        }
        const FhirPathItem& c = constants[static_cast<size_t>(n.slot)];
        if (c.node != nullptr && !c.node->is_null()) {
          AppendValue(*c.node, c.type, out);
        }
        return Status::OK();
      }
      case NodeKind::kResource:
        if (ctx_->resource() != nullptr) {
          out->push_back({ctx_->resource(), ""});
        }
        return Status::OK();
      case NodeKind::kRowIndex:
        out->push_back({ctx_->Own(ctx_->row_index()), "integer"});
        return Status::OK();
      case NodeKind::kMember: {
        FhirPathCollection focus;
        const FhirPathCollection* from = &input;
        if (n.focus) {
          MEDLAKE_RETURN_IF_ERROR(Eval(*n.focus, input, &focus));
          from = &focus;
        }
        for (const FhirPathItem& item : *from) {
          Navigate(item, n.name, out);
        }
        return Status::OK();
      }
      case NodeKind::kFunction:
        return EvalFunction(n, input, out);
      case NodeKind::kIndexer: {
        FhirPathCollection focus;
        MEDLAKE_RETURN_IF_ERROR(Eval(*n.focus, input, &focus));
        FhirPathCollection index;
        MEDLAKE_RETURN_IF_ERROR(Eval(*n.args[0], input, &index));
        if (index.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(int64_t i, SingleInteger(index, "indexer"));
        if (i >= 0 && static_cast<uint64_t>(i) < focus.size()) {
          out->push_back(focus[static_cast<size_t>(i)]);
        }
        return Status::OK();
      }
      case NodeKind::kUnary: {
        FhirPathCollection operand;
        MEDLAKE_RETURN_IF_ERROR(Eval(*n.focus, input, &operand));
        if (operand.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item, Single(operand, "unary operator"));
        if (n.op == BinaryOp::kAdd) {
          out->push_back(item);
          return Status::OK();
        }
        const json& j = *item.node;
        if (std::optional<int64_t> v = AsInt64(j); v && *v != INT64_MIN) {
          out->push_back({ctx_->Own(-*v), "integer"});
        } else if (j.is_number()) {
          out->push_back({ctx_->Own(-AsDouble(j)), "decimal"});
        } else if (item.type == "Quantity" && j.is_object() && j.contains("value")) {
          json negated = j;
          negated["value"] = -negated["value"].get<double>();
          out->push_back({ctx_->Own(std::move(negated)), "Quantity"});
        } else {
          return EvalError("unary minus needs a number");
        }
        return Status::OK();
      }
      case NodeKind::kBinary:
        return EvalBinary(n, input, out);
      case NodeKind::kTypeTest:
      case NodeKind::kTypeCast: {
        FhirPathCollection operand;
        MEDLAKE_RETURN_IF_ERROR(Eval(*n.focus, input, &operand));
        if (operand.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item,
                                 Single(operand, n.kind == NodeKind::kTypeTest ? "is" : "as"));
        const bool match = MatchesType(item, n.type_name);
        if (n.kind == NodeKind::kTypeTest) {
          out->push_back({ctx_->Bool(match), "boolean"});
        } else if (match) {
          out->push_back(item);
        }
        return Status::OK();
      }
    }
    return EvalError("unknown expression node");
  }

 private:
  static Result<FhirPathItem> Single(const FhirPathCollection& c, std::string_view what) {
    if (c.size() != 1) {
      return EvalError(std::string(what) + " expects a single item, got " +
                       std::to_string(c.size()));
    }
    return c[0];
  }

  static Result<int64_t> SingleInteger(const FhirPathCollection& c, std::string_view what) {
    MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item, Single(c, what));
    std::optional<int64_t> v = AsInt64(*item.node);
    if (!v) {
      return EvalError(std::string(what) + " expects an integer");
    }
    return *v;
  }

  static Result<std::string> SingleString(const FhirPathCollection& c, std::string_view what) {
    MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item, Single(c, what));
    if (!item.node->is_string()) {
      return EvalError(std::string(what) + " expects a string");
    }
    return item.node->get<std::string>();
  }

  // Singleton evaluation to Boolean: empty -> nullopt; one boolean -> its value; one other
  // item -> true; several items -> error.
  static Result<std::optional<bool>> ToBoolean(const FhirPathCollection& c, std::string_view what) {
    if (c.empty()) {
      return std::optional<bool>();
    }
    if (c.size() > 1) {
      return EvalError(std::string(what) + " expects a single boolean, got " +
                       std::to_string(c.size()) + " items");
    }
    const json& j = *c[0].node;
    return std::optional<bool>(j.is_boolean() ? j.get<bool>() : true);
  }

  // Evaluates `arg` once per item of `focus` ($this = the item, $index = its position).
  // `visit(i, result)` returns Status; a template so that the lambdas are not boxed.
  template <typename Visitor>
  Status ForEachItem(const Node& arg, const FhirPathCollection& focus, const Visitor& visit) {
    const int64_t saved_index = index_;
    FhirPathCollection one(1);
    FhirPathCollection result;
    for (size_t i = 0; i < focus.size(); ++i) {
      one[0] = focus[i];
      index_ = static_cast<int64_t>(i);
      result.clear();
      Status s = Eval(arg, one, &result);
      if (s.ok()) {
        s = visit(i, result);
      }
      if (!s.ok()) {
        index_ = saved_index;
        return s;
      }
    }
    index_ = saved_index;
    return Status::OK();
  }

  Status EvalFunction(const Node& n, const FhirPathCollection& input, FhirPathCollection* out) {
    FhirPathCollection focus_storage;
    const FhirPathCollection* focus_ptr = &input;
    if (n.focus) {
      MEDLAKE_RETURN_IF_ERROR(Eval(*n.focus, input, &focus_storage));
      focus_ptr = &focus_storage;
    }
    const FhirPathCollection& focus = *focus_ptr;
    // Non-lambda arguments are evaluated against the same input as the call itself.
    auto arg = [&](size_t i, FhirPathCollection* value) -> Status {
      return Eval(*n.args[i], input, value);
    };
    switch (n.function) {
      case Function::kWhere:
        return ForEachItem(*n.args[0], focus, [&](size_t i, const FhirPathCollection& r) -> Status {
          MEDLAKE_ASSIGN_OR_RETURN(std::optional<bool> b, ToBoolean(r, "where()"));
          if (b.value_or(false)) {
            out->push_back(focus[i]);
          }
          return Status::OK();
        });
      case Function::kSelect:
        return ForEachItem(*n.args[0], focus, [&](size_t, const FhirPathCollection& r) -> Status {
          out->insert(out->end(), r.begin(), r.end());
          return Status::OK();
        });
      case Function::kExists: {
        if (n.args.empty()) {
          out->push_back({ctx_->Bool(!focus.empty()), "boolean"});
          return Status::OK();
        }
        bool any = false;
        MEDLAKE_RETURN_IF_ERROR(
            ForEachItem(*n.args[0], focus, [&](size_t, const FhirPathCollection& r) -> Status {
              MEDLAKE_ASSIGN_OR_RETURN(std::optional<bool> b, ToBoolean(r, "exists()"));
              any = any || b.value_or(false);
              return Status::OK();
            }));
        out->push_back({ctx_->Bool(any), "boolean"});
        return Status::OK();
      }
      case Function::kAll: {
        bool all = true;
        MEDLAKE_RETURN_IF_ERROR(
            ForEachItem(*n.args[0], focus, [&](size_t, const FhirPathCollection& r) -> Status {
              MEDLAKE_ASSIGN_OR_RETURN(std::optional<bool> b, ToBoolean(r, "all()"));
              all = all && b.value_or(false);
              return Status::OK();
            }));
        out->push_back({ctx_->Bool(all), "boolean"});
        return Status::OK();
      }
      case Function::kEmpty:
        out->push_back({ctx_->Bool(focus.empty()), "boolean"});
        return Status::OK();
      case Function::kCount:
        out->push_back({ctx_->Own(static_cast<int64_t>(focus.size())), "integer"});
        return Status::OK();
      case Function::kFirst:
        if (!focus.empty()) {
          out->push_back(focus.front());
        }
        return Status::OK();
      case Function::kLast:
        if (!focus.empty()) {
          out->push_back(focus.back());
        }
        return Status::OK();
      case Function::kTail:
        if (focus.size() > 1) {
          out->insert(out->end(), focus.begin() + 1, focus.end());
        }
        return Status::OK();
      case Function::kSkip:
      case Function::kTake: {
        FhirPathCollection count;
        MEDLAKE_RETURN_IF_ERROR(arg(0, &count));
        if (count.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(int64_t k, SingleInteger(count, n.name + "()"));
        const size_t size = focus.size();
        const size_t clamped =
            k <= 0 ? 0 : (static_cast<uint64_t>(k) > size ? size : static_cast<size_t>(k));
        if (n.function == Function::kSkip) {
          out->insert(out->end(), focus.begin() + static_cast<std::ptrdiff_t>(clamped),
                      focus.end());
        } else {
          out->insert(out->end(), focus.begin(),
                      focus.begin() + static_cast<std::ptrdiff_t>(clamped));
        }
        return Status::OK();
      }
      case Function::kSingle:
        if (focus.size() > 1) {
          return EvalError("single() got " + std::to_string(focus.size()) + " items");
        }
        out->insert(out->end(), focus.begin(), focus.end());
        return Status::OK();
      case Function::kDistinct: {
        const size_t start = out->size();
        for (const FhirPathItem& item : focus) {
          bool seen = false;
          for (size_t i = start; i < out->size() && !seen; ++i) {
            seen = ItemsEqual((*out)[i], item).value_or(false);
          }
          if (!seen) {
            out->push_back(item);
          }
        }
        return Status::OK();
      }
      case Function::kJoin: {
        std::string separator;
        if (!n.args.empty()) {
          FhirPathCollection sep;
          MEDLAKE_RETURN_IF_ERROR(arg(0, &sep));
          if (!sep.empty()) {
            MEDLAKE_ASSIGN_OR_RETURN(separator, SingleString(sep, "join() separator"));
          }
        }
        std::string joined;
        for (size_t i = 0; i < focus.size(); ++i) {
          std::optional<std::string> s = ItemToString(focus[i]);
          if (!s) {
            return EvalError("join() expects strings, got " +
                             std::string(JsonKindName(*focus[i].node)));
          }
          if (i > 0) {
            joined += separator;
          }
          joined += *s;
        }
        out->push_back({ctx_->Own(std::move(joined)), "string"});
        return Status::OK();
      }
      case Function::kOfType:
        for (const FhirPathItem& item : focus) {
          if (MatchesType(item, n.type_name)) {
            out->push_back(item);
          }
        }
        return Status::OK();
      case Function::kIs:
      case Function::kAs: {
        if (focus.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item, Single(focus, n.name + "()"));
        const bool match = MatchesType(item, n.type_name);
        if (n.function == Function::kIs) {
          out->push_back({ctx_->Bool(match), "boolean"});
        } else if (match) {
          out->push_back(item);
        }
        return Status::OK();
      }
      case Function::kExtension: {
        FhirPathCollection url_value;
        MEDLAKE_RETURN_IF_ERROR(arg(0, &url_value));
        if (url_value.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(std::string url, SingleString(url_value, "extension() url"));
        for (const FhirPathItem& item : focus) {
          if (!item.node->is_object()) {
            continue;
          }
          auto ext = item.node->find("extension");
          if (ext == item.node->end() || !ext->is_array()) {
            continue;
          }
          for (const json& e : *ext) {
            auto u = e.is_object() ? e.find("url") : e.end();
            if (e.is_object() && u != e.end() && u->is_string() &&
                u->get_ref<const std::string&>() == url) {
              out->push_back({&e, "Extension"});
            }
          }
        }
        return Status::OK();
      }
      case Function::kGetResourceKey:
        for (const FhirPathItem& item : focus) {
          if (!item.node->is_object() || !item.node->contains("resourceType")) {
            continue;
          }
          auto id = item.node->find("id");
          if (id != item.node->end() && id->is_string()) {
            out->push_back({&*id, "string"});
          }
        }
        return Status::OK();
      case Function::kGetReferenceKey:
        for (const FhirPathItem& item : focus) {
          if (!item.node->is_object()) {
            continue;
          }
          auto ref = item.node->find("reference");
          if (ref == item.node->end() || !ref->is_string()) {
            continue;
          }
          std::optional<std::string> key =
              ReferenceKey(ref->get_ref<const std::string&>(), n.type_name);
          if (key) {
            out->push_back({ctx_->Own(std::move(*key)), "string"});
          }
        }
        return Status::OK();
      case Function::kLowBoundary:
      case Function::kHighBoundary:
        return Boundary(n, focus, input, out);
      case Function::kNot: {
        MEDLAKE_ASSIGN_OR_RETURN(std::optional<bool> b, ToBoolean(focus, "not()"));
        if (b) {
          out->push_back({ctx_->Bool(!*b), "boolean"});
        }
        return Status::OK();
      }
      case Function::kIif: {
        FhirPathCollection criterion;
        MEDLAKE_RETURN_IF_ERROR(Eval(*n.args[0], focus, &criterion));
        MEDLAKE_ASSIGN_OR_RETURN(std::optional<bool> b, ToBoolean(criterion, "iif()"));
        if (b.value_or(false)) {
          return Eval(*n.args[1], focus, out);
        }
        if (n.args.size() == 3) {
          return Eval(*n.args[2], focus, out);
        }
        return Status::OK();
      }
      case Function::kHasValue:
        out->push_back({ctx_->Bool(focus.size() == 1 && focus[0].node->is_primitive()), "boolean"});
        return Status::OK();
      case Function::kToString: {
        if (focus.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item, Single(focus, "toString()"));
        std::optional<std::string> s = ItemToString(item);
        if (s) {
          out->push_back({ctx_->Own(std::move(*s)), "string"});
        }
        return Status::OK();
      }
      case Function::kToInteger:
      case Function::kToDecimal:
        return Convert(n, focus, out);
      case Function::kStartsWith:
      case Function::kEndsWith:
      case Function::kContains: {
        if (focus.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(std::string s, SingleString(focus, n.name + "()"));
        FhirPathCollection needle_value;
        MEDLAKE_RETURN_IF_ERROR(arg(0, &needle_value));
        if (needle_value.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(std::string needle, SingleString(needle_value, n.name + "()"));
        bool result = false;
        if (n.function == Function::kStartsWith) {
          result = s.compare(0, needle.size(), needle) == 0 && s.size() >= needle.size();
        } else if (n.function == Function::kEndsWith) {
          result = s.size() >= needle.size() &&
                   s.compare(s.size() - needle.size(), needle.size(), needle) == 0;
        } else {
          result = s.find(needle) != std::string::npos;
        }
        out->push_back({ctx_->Bool(result), "boolean"});
        return Status::OK();
      }
      case Function::kLower:
      case Function::kUpper:
      case Function::kLength:
      case Function::kSubstring:
        return StringFunction(n, focus, input, out);
      case Function::kAllTrue:
      case Function::kAnyTrue:
      case Function::kAllFalse:
      case Function::kAnyFalse: {
        const bool want = n.function == Function::kAllTrue || n.function == Function::kAnyTrue;
        const bool all = n.function == Function::kAllTrue || n.function == Function::kAllFalse;
        bool result = all;
        for (const FhirPathItem& item : focus) {
          if (!item.node->is_boolean()) {
            return EvalError(n.name + "() expects booleans");
          }
          const bool hit = item.node->get<bool>() == want;
          result = all ? (result && hit) : (result || hit);
        }
        out->push_back({ctx_->Bool(result), "boolean"});
        return Status::OK();
      }
    }
    return EvalError("function not implemented");
  }

  Status Boundary(const Node& n, const FhirPathCollection& focus, const FhirPathCollection& input,
                  FhirPathCollection* out) {
    const bool high = n.function == Function::kHighBoundary;
    int precision = -1;
    if (!n.args.empty()) {
      FhirPathCollection p;
      MEDLAKE_RETURN_IF_ERROR(Eval(*n.args[0], input, &p));
      if (!p.empty()) {
        MEDLAKE_ASSIGN_OR_RETURN(int64_t v, SingleInteger(p, n.name + "() precision"));
        if (v < 0 || v > 31) {
          return Status::OK();
        }
        precision = static_cast<int>(v);
      }
    }
    if (focus.empty()) {
      return Status::OK();
    }
    MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item, Single(focus, n.name + "()"));
    const json& j = *item.node;
    if (j.is_number()) {
      out->push_back({ctx_->Own(DecimalBoundary(j, high, precision)), "decimal"});
      return Status::OK();
    }
    std::optional<Temporal> t = ItemTemporal(item);
    if (!t) {
      return Status::OK();
    }
    if (item.type == "instant") {
      t->kind = TemporalKind::kDateTime;
    }
    std::string text = internal::TemporalBoundary(*t, high);
    if (precision >= 0) {
      // Precision in digits: 4 year, 6 month, 8 day, 10 hour, 12 minute, 14 second, 17 ms
      // (times: 2 hour ... 9 ms). Keep the components that many digits cover.
      std::optional<Temporal> full = internal::ParseTemporal(text, t->kind);
      if (!full) {
        return Status::OK();
      }
      static constexpr int kDateDigits[] = {4, 6, 8, 10, 12, 14, 17};
      static constexpr int kTimeDigits[] = {0, 0, 0, 2, 4, 6, 9};
      const int* table = t->kind == TemporalKind::kTime ? kTimeDigits : kDateDigits;
      int keep = 0;
      for (int level = 0; level < 7; ++level) {
        if (table[level] == precision) {
          keep = level + 1;
        }
      }
      if (keep == 0 || (t->kind == TemporalKind::kDate && keep > 3)) {
        return Status::OK();
      }
      full->precision = keep;
      text = internal::FormatTemporal(*full);
    }
    std::string_view type = t->kind == TemporalKind::kDate
                                ? "date"
                                : (t->kind == TemporalKind::kTime ? "time" : "dateTime");
    out->push_back({ctx_->Own(std::move(text)), type});
    return Status::OK();
  }

  Status Convert(const Node& n, const FhirPathCollection& focus, FhirPathCollection* out) {
    if (focus.empty()) {
      return Status::OK();
    }
    MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item, Single(focus, n.name + "()"));
    const json& j = *item.node;
    const bool to_integer = n.function == Function::kToInteger;
    if (j.is_boolean()) {
      const int64_t v = j.get<bool>() ? 1 : 0;
      if (to_integer) {
        out->push_back({ctx_->Own(v), "integer"});
      } else {
        out->push_back({ctx_->Own(static_cast<double>(v)), "decimal"});
      }
    } else if (std::optional<int64_t> i = AsInt64(j)) {
      if (to_integer) {
        out->push_back(item);
      } else {
        out->push_back({ctx_->Own(static_cast<double>(*i)), "decimal"});
      }
    } else if (j.is_number_float()) {
      if (!to_integer) {
        out->push_back(item);
      }
    } else if (j.is_string()) {
      const std::string& s = j.get_ref<const std::string&>();
      const char* begin = s.data();
      const char* end = s.data() + s.size();
      if (!s.empty() && (*begin == '+' || *begin == '-') && to_integer) {
        // from_chars does not take '+'; '-' is fine.
        begin += *begin == '+' ? 1 : 0;
      }
      if (to_integer) {
        int64_t v = 0;
        auto [ptr, ec] = std::from_chars(begin, end, v);
        if (ec == std::errc() && ptr == end && begin != end) {
          out->push_back({ctx_->Own(v), "integer"});
        }
      } else {
        char* parsed_end = nullptr;
        double v = std::strtod(s.c_str(), &parsed_end);
        if (!s.empty() && parsed_end == s.c_str() + s.size() && std::isfinite(v) &&
            s.find_first_of("xXpPnN") == std::string::npos) {
          out->push_back({ctx_->Own(v), "decimal"});
        }
      }
    }
    return Status::OK();
  }

  Status StringFunction(const Node& n, const FhirPathCollection& focus,
                        const FhirPathCollection& input, FhirPathCollection* out) {
    if (focus.empty()) {
      return Status::OK();
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string s, SingleString(focus, n.name + "()"));
    switch (n.function) {
      case Function::kLower:
      case Function::kUpper:
        for (char& c : s) {
          c = static_cast<char>(n.function == Function::kLower
                                    ? std::tolower(static_cast<unsigned char>(c))
                                    : std::toupper(static_cast<unsigned char>(c)));
        }
        out->push_back({ctx_->Own(std::move(s)), "string"});
        return Status::OK();
      case Function::kLength:
        out->push_back({ctx_->Own(static_cast<int64_t>(s.size())), "integer"});
        return Status::OK();
      default:
        break;
    }
    // substring(start [, length])
    FhirPathCollection start_value;
    MEDLAKE_RETURN_IF_ERROR(Eval(*n.args[0], input, &start_value));
    if (start_value.empty()) {
      return Status::OK();
    }
    MEDLAKE_ASSIGN_OR_RETURN(int64_t start, SingleInteger(start_value, "substring() start"));
    if (start < 0 || static_cast<uint64_t>(start) >= s.size()) {
      return Status::OK();
    }
    size_t length = std::string::npos;
    if (n.args.size() == 2) {
      FhirPathCollection length_value;
      MEDLAKE_RETURN_IF_ERROR(Eval(*n.args[1], input, &length_value));
      if (!length_value.empty()) {
        MEDLAKE_ASSIGN_OR_RETURN(int64_t l, SingleInteger(length_value, "substring() length"));
        length = l < 0 ? 0 : static_cast<size_t>(l);
      }
    }
    out->push_back({ctx_->Own(s.substr(static_cast<size_t>(start), length)), "string"});
    return Status::OK();
  }

  Status EvalBinary(const Node& n, const FhirPathCollection& input, FhirPathCollection* out) {
    FhirPathCollection lhs;
    FhirPathCollection rhs;
    MEDLAKE_RETURN_IF_ERROR(Eval(*n.args[0], input, &lhs));
    switch (n.op) {
      case BinaryOp::kAnd:
      case BinaryOp::kOr:
      case BinaryOp::kXor:
      case BinaryOp::kImplies:
        return Logic(n, lhs, input, out);
      default:
        break;
    }
    MEDLAKE_RETURN_IF_ERROR(Eval(*n.args[1], input, &rhs));
    switch (n.op) {
      case BinaryOp::kUnion: {
        const size_t start = out->size();
        for (const FhirPathCollection* side : {&lhs, &rhs}) {
          for (const FhirPathItem& item : *side) {
            bool seen = false;
            for (size_t i = start; i < out->size() && !seen; ++i) {
              seen = ItemsEqual((*out)[i], item).value_or(false);
            }
            if (!seen) {
              out->push_back(item);
            }
          }
        }
        return Status::OK();
      }
      case BinaryOp::kEq:
      case BinaryOp::kNe: {
        if (lhs.empty() || rhs.empty()) {
          return Status::OK();
        }
        bool equal = lhs.size() == rhs.size();
        for (size_t i = 0; equal && i < lhs.size(); ++i) {
          std::optional<bool> eq = ItemsEqual(lhs[i], rhs[i]);
          if (!eq) {
            return Status::OK();
          }
          equal = *eq;
        }
        out->push_back({ctx_->Bool(n.op == BinaryOp::kEq ? equal : !equal), "boolean"});
        return Status::OK();
      }
      case BinaryOp::kEquiv:
      case BinaryOp::kNotEquiv: {
        bool equivalent = lhs.size() == rhs.size();
        for (size_t i = 0; equivalent && i < lhs.size(); ++i) {
          bool found = false;
          for (size_t k = 0; k < rhs.size() && !found; ++k) {
            found = ItemsEquivalent(lhs[i], rhs[k]);
          }
          equivalent = found;
        }
        out->push_back(
            {ctx_->Bool(n.op == BinaryOp::kEquiv ? equivalent : !equivalent), "boolean"});
        return Status::OK();
      }
      case BinaryOp::kLt:
      case BinaryOp::kGt:
      case BinaryOp::kLe:
      case BinaryOp::kGe: {
        if (lhs.empty() || rhs.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem a, Single(lhs, "comparison"));
        MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem b, Single(rhs, "comparison"));
        MEDLAKE_ASSIGN_OR_RETURN(std::optional<int> cmp, CompareItems(a, b));
        if (!cmp) {
          return Status::OK();
        }
        bool result = false;
        switch (n.op) {
          case BinaryOp::kLt:
            result = *cmp < 0;
            break;
          case BinaryOp::kGt:
            result = *cmp > 0;
            break;
          case BinaryOp::kLe:
            result = *cmp <= 0;
            break;
          default:
            result = *cmp >= 0;
            break;
        }
        out->push_back({ctx_->Bool(result), "boolean"});
        return Status::OK();
      }
      case BinaryOp::kIn:
      case BinaryOp::kContains: {
        const FhirPathCollection& element = n.op == BinaryOp::kIn ? lhs : rhs;
        const FhirPathCollection& container = n.op == BinaryOp::kIn ? rhs : lhs;
        if (element.empty()) {
          return Status::OK();
        }
        MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item, Single(element, "membership operator"));
        bool found = false;
        for (size_t i = 0; i < container.size() && !found; ++i) {
          found = ItemsEqual(container[i], item).value_or(false);
        }
        out->push_back({ctx_->Bool(found), "boolean"});
        return Status::OK();
      }
      case BinaryOp::kConcat: {
        std::string s;
        for (const FhirPathCollection* side : {&lhs, &rhs}) {
          if (side->empty()) {
            continue;
          }
          MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem item, Single(*side, "'&'"));
          std::optional<std::string> text = ItemToString(item);
          if (!text) {
            return EvalError("'&' expects strings");
          }
          s += *text;
        }
        out->push_back({ctx_->Own(std::move(s)), "string"});
        return Status::OK();
      }
      default:
        return Arithmetic(n.op, lhs, rhs, out);
    }
  }

  Status Logic(const Node& n, const FhirPathCollection& lhs, const FhirPathCollection& input,
               FhirPathCollection* out) {
    MEDLAKE_ASSIGN_OR_RETURN(std::optional<bool> a, ToBoolean(lhs, "boolean operator"));
    // Short-circuit where the left side decides the result.
    if ((n.op == BinaryOp::kAnd && a == false) || (n.op == BinaryOp::kOr && a == true)) {
      out->push_back({ctx_->Bool(*a), "boolean"});
      return Status::OK();
    }
    if (n.op == BinaryOp::kImplies && a == false) {
      out->push_back({ctx_->True(), "boolean"});
      return Status::OK();
    }
    FhirPathCollection rhs;
    MEDLAKE_RETURN_IF_ERROR(Eval(*n.args[1], input, &rhs));
    MEDLAKE_ASSIGN_OR_RETURN(std::optional<bool> b, ToBoolean(rhs, "boolean operator"));
    std::optional<bool> result;
    switch (n.op) {
      case BinaryOp::kAnd:
        if (b == false) {
          result = false;
        } else if (a && b) {
          result = true;
        }
        break;
      case BinaryOp::kOr:
        if (b == true) {
          result = true;
        } else if (a && b) {
          result = false;
        }
        break;
      case BinaryOp::kXor:
        if (a && b) {
          result = *a != *b;
        }
        break;
      default:  // implies; a is true or empty here
        if (b == true) {
          result = true;
        } else if (a && b) {
          result = false;
        }
        break;
    }
    if (result) {
      out->push_back({ctx_->Bool(*result), "boolean"});
    }
    return Status::OK();
  }

  Status Arithmetic(BinaryOp op, const FhirPathCollection& lhs, const FhirPathCollection& rhs,
                    FhirPathCollection* out) {
    if (lhs.empty() || rhs.empty()) {
      return Status::OK();
    }
    MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem a, Single(lhs, "arithmetic operator"));
    MEDLAKE_ASSIGN_OR_RETURN(FhirPathItem b, Single(rhs, "arithmetic operator"));
    const json& ja = *a.node;
    const json& jb = *b.node;
    if (op == BinaryOp::kAdd && ja.is_string() && jb.is_string()) {
      out->push_back({ctx_->Own(ja.get<std::string>() + jb.get<std::string>()), "string"});
      return Status::OK();
    }
    if (!ja.is_number() || !jb.is_number()) {
      return EvalError("arithmetic on " + std::string(JsonKindName(ja)) + " and " +
                       std::string(JsonKindName(jb)) + " is not supported");
    }
    std::optional<int64_t> ia = AsInt64(ja);
    std::optional<int64_t> ib = AsInt64(jb);
    if (ia && ib && op != BinaryOp::kDiv) {
      int64_t r = 0;
      bool overflow = false;
      switch (op) {
        case BinaryOp::kAdd:
          overflow = __builtin_add_overflow(*ia, *ib, &r);
          break;
        case BinaryOp::kSub:
          overflow = __builtin_sub_overflow(*ia, *ib, &r);
          break;
        case BinaryOp::kMul:
          overflow = __builtin_mul_overflow(*ia, *ib, &r);
          break;
        case BinaryOp::kIntDiv:
        case BinaryOp::kMod:
          if (*ib == 0) {
            return Status::OK();  // division by zero is empty
          }
          if (*ia == INT64_MIN && *ib == -1) {
            overflow = true;
            break;
          }
          r = op == BinaryOp::kIntDiv ? *ia / *ib : *ia % *ib;
          break;
        default:
          return EvalError("unsupported arithmetic operator");
      }
      if (overflow) {
        return Status::OK();  // out of range: empty, as FHIRPath does for overflows
      }
      out->push_back({ctx_->Own(r), "integer"});
      return Status::OK();
    }
    const double da = AsDouble(ja);
    const double db = AsDouble(jb);
    double r = 0;
    switch (op) {
      case BinaryOp::kAdd:
        r = da + db;
        break;
      case BinaryOp::kSub:
        r = da - db;
        break;
      case BinaryOp::kMul:
        r = da * db;
        break;
      case BinaryOp::kDiv:
        if (db == 0) {
          return Status::OK();
        }
        r = da / db;
        break;
      case BinaryOp::kIntDiv:
        if (db == 0) {
          return Status::OK();
        }
        r = std::trunc(da / db);
        if (!std::isfinite(r) || std::fabs(r) > 9.2e18) {
          return Status::OK();
        }
        out->push_back({ctx_->Own(static_cast<int64_t>(r)), "integer"});
        return Status::OK();
      case BinaryOp::kMod:
        if (db == 0) {
          return Status::OK();
        }
        r = std::fmod(da, db);
        break;
      default:
        return EvalError("unsupported arithmetic operator");
    }
    if (!std::isfinite(r)) {
      return Status::OK();
    }
    out->push_back({ctx_->Own(r), "decimal"});
    return Status::OK();
  }

  FhirPathContext* ctx_;
  int64_t index_ = 0;  // $index
};

}  // namespace

Result<FhirPathExpression> FhirPathExpression::Compile(std::string_view text,
                                                       const FhirPathCompileOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<internal::Node> root,
                           internal::ParseFhirPath(text, options));
  return FhirPathExpression(std::string(text),
                            std::shared_ptr<const internal::Node>(std::move(root)));
}

Status FhirPathExpression::Evaluate(const FhirPathCollection& input, FhirPathContext* context,
                                    FhirPathCollection* out) const {
  Evaluator evaluator(context);
  return evaluator.Eval(*root_, input, out);
}

Result<json> FhirPathExpression::EvaluateToJson(const json& resource) const {
  FhirPathContext context;
  context.set_resource(&resource);
  FhirPathCollection out;
  MEDLAKE_RETURN_IF_ERROR(Evaluate({{&resource, ""}}, &context, &out));
  json result = json::array();
  for (const FhirPathItem& item : out) {
    result.push_back(*item.node);
  }
  return result;
}

std::string_view FhirPathExpression::StaticType() const { return internal::StaticTypeOf(*root_); }

}  // namespace medlake::pipeline::sof
