// SQL on FHIR v2 ViewDefinition: validation/compilation and the row generation of the spec's
// "Processing Algorithm" (select = cross join of a select's columns, nested selects and its
// unionAll; forEach/forEachOrNull/repeat unnest; unionAll concatenates).
#include "pipeline/sof/view_definition.h"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/sof/fhirpath.h"

namespace medlake::pipeline::sof {

using nlohmann::json;

namespace {

enum class Iteration { kNone, kForEach, kForEachOrNull, kRepeat };

struct CompiledColumn {
  size_t index = 0;  // position in the output row
  std::string name;
  bool collection = false;
  FhirPathExpression path;
};

struct SelectNode {
  Iteration iteration = Iteration::kNone;
  std::optional<FhirPathExpression> for_each;  // forEach / forEachOrNull
  std::vector<FhirPathExpression> repeat;
  std::vector<CompiledColumn> columns;
  std::vector<SelectNode> selects;
  std::vector<SelectNode> union_all;
  // Every output position this select (with its nested selects and unionAll) fills; set to
  // null when forEachOrNull finds nothing.
  std::vector<size_t> subtree_columns;
};

}  // namespace

struct ViewDefinition::Impl {
  std::string resource;
  std::string name;
  std::vector<ViewColumn> columns;
  std::vector<json> constant_values;         // owned values of %constants
  std::vector<FhirPathItem> constant_items;  // point into constant_values
  std::vector<FhirPathExpression> where;
  SelectNode root;  // the view's select[] as the selects of an implicit top-level select
};

namespace {

bool IsValidName(std::string_view name) {
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

std::string SqlTypeFor(std::string_view fhir_type, bool collection) {
  if (collection) {
    return "VARCHAR";
  }
  if (fhir_type == "boolean") {
    return "BOOLEAN";
  }
  if (fhir_type == "integer" || fhir_type == "positiveInt" || fhir_type == "unsignedInt" ||
      fhir_type == "integer64") {
    return "BIGINT";
  }
  if (fhir_type == "decimal") {
    return "DOUBLE";
  }
  return "VARCHAR";
}

// The value[x] types a constant may have (ViewDefinition.constant.value[x]) and the JSON kind
// each needs.
enum class ConstantKind { kString, kBoolean, kInteger, kDecimal };
struct ConstantType {
  std::string_view suffix;
  ConstantKind kind;
};
constexpr ConstantType kConstantTypes[] = {
    {"Base64Binary", ConstantKind::kString}, {"Boolean", ConstantKind::kBoolean},
    {"Canonical", ConstantKind::kString},    {"Code", ConstantKind::kString},
    {"Date", ConstantKind::kString},         {"DateTime", ConstantKind::kString},
    {"Decimal", ConstantKind::kDecimal},     {"Id", ConstantKind::kString},
    {"Instant", ConstantKind::kString},      {"Integer", ConstantKind::kInteger},
    {"Integer64", ConstantKind::kInteger},   {"Oid", ConstantKind::kString},
    {"String", ConstantKind::kString},       {"PositiveInt", ConstantKind::kInteger},
    {"Time", ConstantKind::kString},         {"UnsignedInt", ConstantKind::kInteger},
    {"Uri", ConstantKind::kString},          {"Url", ConstantKind::kString},
    {"Uuid", ConstantKind::kString},
};

class Compiler {
 public:
  explicit Compiler(ViewDefinition::Impl* impl) : impl_(impl) {}

  Status CompileView(const json& view) {
    if (!view.is_object()) {
      return InvalidArgument("ViewDefinition must be a JSON object");
    }
    auto resource = view.find("resource");
    if (resource == view.end() || !resource->is_string()) {
      return InvalidArgument("ViewDefinition.resource is required and must be a string");
    }
    impl_->resource = resource->get<std::string>();
    if (!IsValidName(impl_->resource) ||
        !std::isupper(static_cast<unsigned char>(impl_->resource[0]))) {
      return InvalidArgument("ViewDefinition.resource must be a FHIR resource type name");
    }
    if (auto name = view.find("name"); name != view.end()) {
      if (!name->is_string()) {
        return InvalidArgument("ViewDefinition.name must be a string");
      }
      impl_->name = name->get<std::string>();
    }
    MEDLAKE_RETURN_IF_ERROR(CompileConstants(view));
    if (auto where = view.find("where"); where != view.end()) {
      if (!where->is_array()) {
        return InvalidArgument("ViewDefinition.where must be an array");
      }
      for (size_t i = 0; i < where->size(); ++i) {
        const std::string where_name = "where[" + std::to_string(i) + "]";
        const json& w = (*where)[i];
        auto path = w.is_object() ? w.find("path") : w.end();
        if (!w.is_object() || path == w.end() || !path->is_string()) {
          return InvalidArgument(where_name + ".path is required and must be a string");
        }
        MEDLAKE_ASSIGN_OR_RETURN(FhirPathExpression expr, CompilePath(*path, where_name));
        std::string_view type = expr.StaticType();
        if (!type.empty() && type != "boolean") {
          return InvalidArgument(where_name + ".path is of type " + std::string(type) +
                                 ", not boolean");
        }
        impl_->where.push_back(std::move(expr));
      }
    }
    auto select = view.find("select");
    if (select == view.end() || !select->is_array() || select->empty()) {
      return InvalidArgument("ViewDefinition.select is required and must be a non-empty array");
    }
    for (size_t i = 0; i < select->size(); ++i) {
      SelectNode child;
      MEDLAKE_RETURN_IF_ERROR(CompileSelect((*select)[i], "select[" + std::to_string(i) + "]",
                                            &impl_->columns, &child));
      impl_->root.selects.push_back(std::move(child));
    }
    std::set<std::string_view> seen;
    for (const ViewColumn& c : impl_->columns) {
      if (!seen.insert(c.name).second) {
        return InvalidArgument("column name '" + c.name + "' is defined more than once");
      }
    }
    return Status::OK();
  }

 private:
  Status CompileConstants(const json& view) {
    auto constants = view.find("constant");
    if (constants == view.end()) {
      return Status::OK();
    }
    if (!constants->is_array()) {
      return InvalidArgument("ViewDefinition.constant must be an array");
    }
    std::vector<std::string_view> types;
    for (size_t i = 0; i < constants->size(); ++i) {
      const std::string where = "constant[" + std::to_string(i) + "]";
      const json& c = (*constants)[i];
      if (!c.is_object()) {
        return InvalidArgument(where + " must be an object");
      }
      auto name = c.find("name");
      if (name == c.end() || !name->is_string() || !IsValidName(name->get<std::string>())) {
        return InvalidArgument(where + ".name is required and must be a valid name");
      }
      const std::string constant_name = name->get<std::string>();
      if (constant_name == "rowIndex" || constant_name == "resource" ||
          constant_name == "rootResource" || constant_name == "context") {
        return InvalidArgument(where + ": %" + constant_name + " is a reserved variable");
      }
      for (const std::string& existing : names_) {
        if (existing == constant_name) {
          return InvalidArgument(where + ": constant '" + constant_name +
                                 "' is defined more than once");
        }
      }
      const json* value = nullptr;
      std::string_view type;
      for (auto it = c.begin(); it != c.end(); ++it) {
        const std::string& key = it.key();
        if (key.rfind("value", 0) != 0 || key.size() == 5) {
          continue;
        }
        const ConstantType* match = nullptr;
        for (const ConstantType& t : kConstantTypes) {
          if (key.compare(5, std::string::npos, t.suffix) == 0) {
            match = &t;
          }
        }
        if (match == nullptr) {
          return InvalidArgument(where + ": unsupported constant type " + key);
        }
        if (value != nullptr) {
          return InvalidArgument(where + " has more than one value[x]");
        }
        const json& v = it.value();
        bool kind_ok = false;
        switch (match->kind) {
          case ConstantKind::kString:
            kind_ok = v.is_string();
            break;
          case ConstantKind::kBoolean:
            kind_ok = v.is_boolean();
            break;
          case ConstantKind::kInteger:
            kind_ok = v.is_number_integer();
            break;
          case ConstantKind::kDecimal:
            kind_ok = v.is_number();
            break;
        }
        if (!kind_ok) {
          return InvalidArgument(where + "." + key + " has the wrong JSON type");
        }
        value = &v;
        type = CanonicalFhirTypeName(match->suffix);
      }
      if (value == nullptr) {
        return InvalidArgument(where + " ('" + constant_name + "') has no value[x]");
      }
      names_.push_back(constant_name);
      impl_->constant_values.push_back(*value);
      types.push_back(type);
    }
    // Items point into constant_values, which no longer grows.
    for (size_t i = 0; i < impl_->constant_values.size(); ++i) {
      impl_->constant_items.push_back({&impl_->constant_values[i], types[i]});
    }
    options_.constant_names = names_;
    return Status::OK();
  }

  Result<FhirPathExpression> CompilePath(const json& text, const std::string& where) {
    if (!text.is_string()) {
      return InvalidArgument(where + " must be a string (a FHIRPath expression)");
    }
    Result<FhirPathExpression> expr =
        FhirPathExpression::Compile(text.get_ref<const std::string&>(), options_);
    if (!expr.ok()) {
      return expr.status().WithContext(where);
    }
    return expr;
  }

  // Compiles one select; appends its output columns to `*columns` (indices = positions there).
  Status CompileSelect(const json& s, const std::string& where, std::vector<ViewColumn>* columns,
                       SelectNode* out) {
    if (++depth_ > 64) {
      return InvalidArgument(where + ": selects nested too deeply");
    }
    if (!s.is_object()) {
      return InvalidArgument(where + " must be an object");
    }
    const size_t first_column = columns->size();
    int iterations = 0;
    if (auto fe = s.find("forEach"); fe != s.end()) {
      ++iterations;
      out->iteration = Iteration::kForEach;
      MEDLAKE_ASSIGN_OR_RETURN(out->for_each, CompilePath(*fe, where + ".forEach"));
    }
    if (auto fe = s.find("forEachOrNull"); fe != s.end()) {
      ++iterations;
      out->iteration = Iteration::kForEachOrNull;
      MEDLAKE_ASSIGN_OR_RETURN(out->for_each, CompilePath(*fe, where + ".forEachOrNull"));
    }
    if (auto rep = s.find("repeat"); rep != s.end()) {
      ++iterations;
      out->iteration = Iteration::kRepeat;
      if (!rep->is_array() || rep->empty()) {
        return InvalidArgument(where + ".repeat must be a non-empty array of paths");
      }
      for (size_t i = 0; i < rep->size(); ++i) {
        MEDLAKE_ASSIGN_OR_RETURN(
            FhirPathExpression expr,
            CompilePath((*rep)[i], where + ".repeat[" + std::to_string(i) + "]"));
        out->repeat.push_back(std::move(expr));
      }
    }
    if (iterations > 1) {
      return InvalidArgument(where + " may have only one of forEach, forEachOrNull and repeat");
    }
    if (auto cols = s.find("column"); cols != s.end()) {
      if (!cols->is_array()) {
        return InvalidArgument(where + ".column must be an array");
      }
      for (size_t i = 0; i < cols->size(); ++i) {
        MEDLAKE_RETURN_IF_ERROR(
            CompileColumn((*cols)[i], where + ".column[" + std::to_string(i) + "]", columns, out));
      }
    }
    if (auto sel = s.find("select"); sel != s.end()) {
      if (!sel->is_array()) {
        return InvalidArgument(where + ".select must be an array");
      }
      for (size_t i = 0; i < sel->size(); ++i) {
        SelectNode child;
        MEDLAKE_RETURN_IF_ERROR(CompileSelect(
            (*sel)[i], where + ".select[" + std::to_string(i) + "]", columns, &child));
        out->selects.push_back(std::move(child));
      }
    }
    if (auto un = s.find("unionAll"); un != s.end()) {
      if (!un->is_array() || un->empty()) {
        return InvalidArgument(where + ".unionAll must be a non-empty array");
      }
      const size_t union_start = columns->size();
      for (size_t i = 0; i < un->size(); ++i) {
        const std::string branch_where = where + ".unionAll[" + std::to_string(i) + "]";
        SelectNode branch;
        if (i == 0) {
          MEDLAKE_RETURN_IF_ERROR(CompileSelect((*un)[i], branch_where, columns, &branch));
        } else {
          // Every branch must produce the same columns in the same order; they share the
          // output positions of the first branch.
          std::vector<ViewColumn> branch_columns(
              columns->begin(), columns->begin() + static_cast<std::ptrdiff_t>(union_start));
          MEDLAKE_RETURN_IF_ERROR(CompileSelect((*un)[i], branch_where, &branch_columns, &branch));
          bool same = branch_columns.size() == columns->size();
          for (size_t k = union_start; same && k < columns->size(); ++k) {
            same = branch_columns[k].name == (*columns)[k].name;
          }
          if (!same) {
            return InvalidArgument(branch_where +
                                   ": unionAll branches must have the same columns in the same "
                                   "order");
          }
        }
        out->union_all.push_back(std::move(branch));
      }
    }
    for (size_t i = first_column; i < columns->size(); ++i) {
      out->subtree_columns.push_back(i);
    }
    --depth_;
    return Status::OK();
  }

  Status CompileColumn(const json& c, const std::string& where, std::vector<ViewColumn>* columns,
                       SelectNode* out) {
    if (!c.is_object()) {
      return InvalidArgument(where + " must be an object");
    }
    auto name = c.find("name");
    if (name == c.end() || !name->is_string()) {
      return InvalidArgument(where + ".name is required and must be a string");
    }
    ViewColumn column;
    column.name = name->get<std::string>();
    if (!IsValidName(column.name)) {
      return InvalidArgument(where + ".name '" + column.name +
                             "' is not a valid column name ([A-Za-z][A-Za-z0-9_]*)");
    }
    const std::string named = where + " '" + column.name + "'";
    auto path = c.find("path");
    if (path == c.end()) {
      return InvalidArgument(named + ": path is required");
    }
    MEDLAKE_ASSIGN_OR_RETURN(FhirPathExpression expr, CompilePath(*path, named + ": path"));
    if (auto type = c.find("type"); type != c.end()) {
      if (!type->is_string()) {
        return InvalidArgument(named + ": type must be a string");
      }
      column.fhir_type = type->get<std::string>();
    } else {
      column.fhir_type = std::string(expr.StaticType());
    }
    if (auto coll = c.find("collection"); coll != c.end()) {
      if (!coll->is_boolean()) {
        return InvalidArgument(named + ": collection must be a boolean");
      }
      column.collection = coll->get<bool>();
    }
    column.sql_type = SqlTypeFor(column.fhir_type, column.collection);
    CompiledColumn compiled{columns->size(), column.name, column.collection, std::move(expr)};
    out->columns.push_back(std::move(compiled));
    columns->push_back(std::move(column));
    return Status::OK();
  }

  ViewDefinition::Impl* impl_;
  std::vector<std::string> names_;
  FhirPathCompileOptions options_;
  int depth_ = 0;
};

// A non-owning reference to a callable `Status()`, so that the recursive row generator can pass
// "what to do with the rest of the row" down without allocating. The callable must outlive the
// Continuation (bind a named lambda, never a temporary).
class Continuation {
 public:
  template <typename F>
  explicit Continuation(const F& f)
      : object_(&f), call_([](const void* o) { return (*static_cast<const F*>(o))(); }) {}
  Status operator()() const { return call_(object_); }

 private:
  const void* object_;
  Status (*call_)(const void*);
};

// Generates the rows of one resource. One per Evaluate() call.
class RowGenerator {
 public:
  RowGenerator(const ViewDefinition::Impl& view, FhirPathContext* context,
               std::vector<std::vector<json>>* rows)
      : view_(view), ctx_(context), rows_(rows), row_(view.columns.size()) {}

  Status Run(const FhirPathItem& resource) {
    const auto emit_row = [this]() -> Status {
      rows_->push_back(row_);
      return Status::OK();
    };
    const Continuation emit(emit_row);  // borrows emit_row
    return RunParts(view_.root, resource, 0, 0, emit);
  }

 private:
  // Runs select `s` on `node` and calls `next` once for every row fragment of `s` (its columns
  // are then set in row_).
  Status RunSelect(const SelectNode& s, const FhirPathItem& node, int64_t row_index,
                   const Continuation& next) {
    if (s.iteration == Iteration::kNone) {
      return RunParts(s, node, row_index, 0, next);
    }
    FhirPathCollection foci;
    ctx_->set_row_index(row_index);
    if (s.iteration == Iteration::kRepeat) {
      MEDLAKE_RETURN_IF_ERROR(Repeat(s, node, &foci));
    } else {
      MEDLAKE_RETURN_IF_ERROR(s.for_each->Evaluate({node}, ctx_, &foci));
    }
    if (foci.empty()) {
      if (s.iteration != Iteration::kForEachOrNull) {
        return Status::OK();
      }
      // One row with nulls for the whole subtree; the select's own columns are still evaluated
      // on the empty focus, so that %rowIndex gives 0 (conformance test row_index.json).
      for (size_t index : s.subtree_columns) {
        row_[index] = nullptr;
      }
      ctx_->set_row_index(0);
      const FhirPathCollection empty;
      for (const CompiledColumn& column : s.columns) {
        MEDLAKE_RETURN_IF_ERROR(EvaluateColumn(column, empty));
      }
      return next();
    }
    for (size_t i = 0; i < foci.size(); ++i) {
      MEDLAKE_RETURN_IF_ERROR(RunParts(s, foci[i], static_cast<int64_t>(i), 0, next));
    }
    return Status::OK();
  }

  // Part 0: the columns of `s`; parts 1..n: its nested selects; part n+1: its unionAll.
  Status RunParts(const SelectNode& s, const FhirPathItem& focus, int64_t row_index, size_t part,
                  const Continuation& next) {
    if (part == 0 && !s.columns.empty()) {
      ctx_->set_row_index(row_index);
      const FhirPathCollection input{focus};
      for (const CompiledColumn& column : s.columns) {
        MEDLAKE_RETURN_IF_ERROR(EvaluateColumn(column, input));
      }
    }
    const auto rest = [&]() -> Status { return RunParts(s, focus, row_index, part + 1, next); };
    const Continuation rest_ref(rest);
    if (part < s.selects.size()) {
      return RunSelect(s.selects[part], focus, row_index, rest_ref);
    }
    if (part == s.selects.size() && !s.union_all.empty()) {
      for (const SelectNode& branch : s.union_all) {
        MEDLAKE_RETURN_IF_ERROR(RunSelect(branch, focus, row_index, rest_ref));
      }
      return Status::OK();
    }
    return next();
  }

  Status EvaluateColumn(const CompiledColumn& column, const FhirPathCollection& input) {
    scratch_.clear();
    Status s = column.path.Evaluate(input, ctx_, &scratch_);
    if (!s.ok()) {
      return s.WithContext("column '" + column.name + "'");
    }
    json& cell = row_[column.index];
    if (column.collection) {
      cell = json::array();
      for (const FhirPathItem& item : scratch_) {
        cell.push_back(*item.node);
      }
    } else if (scratch_.empty()) {
      cell = nullptr;
    } else if (scratch_.size() == 1) {
      cell = *scratch_[0].node;
    } else {
      return InvalidArgument("column '" + column.name + "' got " + std::to_string(scratch_.size()) +
                             " values but is not declared collection: true");
    }
    return Status::OK();
  }

  // The nodes `repeat` reaches from `node`, depth first in document order (each node before
  // the nodes reached from it). Iterative, so deep resources cannot exhaust the stack.
  Status Repeat(const SelectNode& s, const FhirPathItem& node, FhirPathCollection* out) {
    auto expand = [&](const FhirPathItem& from, FhirPathCollection* children) -> Status {
      for (const FhirPathExpression& path : s.repeat) {
        MEDLAKE_RETURN_IF_ERROR(path.Evaluate({from}, ctx_, children));
      }
      return Status::OK();
    };
    std::vector<std::pair<FhirPathCollection, size_t>> stack;
    FhirPathCollection first;
    MEDLAKE_RETURN_IF_ERROR(expand(node, &first));
    stack.emplace_back(std::move(first), 0);
    while (!stack.empty()) {
      if (stack.back().second == stack.back().first.size()) {
        stack.pop_back();
        continue;
      }
      const FhirPathItem item = stack.back().first[stack.back().second++];
      out->push_back(item);
      FhirPathCollection children;
      MEDLAKE_RETURN_IF_ERROR(expand(item, &children));
      if (!children.empty()) {
        stack.emplace_back(std::move(children), 0);
      }
    }
    return Status::OK();
  }

  const ViewDefinition::Impl& view_;
  FhirPathContext* ctx_;
  std::vector<std::vector<json>>* rows_;
  std::vector<json> row_;
  FhirPathCollection scratch_;
};

}  // namespace

Result<ViewDefinition> ViewDefinition::Parse(std::string_view json_text) {
  json view = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (view.is_discarded()) {
    return InvalidArgument("ViewDefinition is not valid JSON");
  }
  return FromJson(view);
}

Result<ViewDefinition> ViewDefinition::FromJson(const json& view) {
  auto impl = std::make_shared<Impl>();
  Compiler compiler(impl.get());
  MEDLAKE_RETURN_IF_ERROR(compiler.CompileView(view));
  return ViewDefinition(std::move(impl));
}

const std::string& ViewDefinition::resource() const { return impl_->resource; }
const std::string& ViewDefinition::name() const { return impl_->name; }
const std::vector<ViewColumn>& ViewDefinition::columns() const { return impl_->columns; }

Status ViewDefinition::Evaluate(const json& resource, std::vector<std::vector<json>>* rows) const {
  if (!resource.is_object()) {
    return InvalidArgument("resource is not a JSON object");
  }
  auto type = resource.find("resourceType");
  if (type == resource.end() || !type->is_string() ||
      type->get_ref<const std::string&>() != impl_->resource) {
    return Status::OK();
  }
  FhirPathContext context;
  context.set_resource(&resource);
  context.set_constants(impl_->constant_items);
  const FhirPathItem root{&resource, ""};
  FhirPathCollection result;
  for (size_t i = 0; i < impl_->where.size(); ++i) {
    result.clear();
    context.set_row_index(0);
    Status s = impl_->where[i].Evaluate({root}, &context, &result);
    if (!s.ok()) {
      return s.WithContext("where[" + std::to_string(i) + "]");
    }
    if (result.empty()) {
      return Status::OK();
    }
    if (result.size() > 1 || !result[0].node->is_boolean()) {
      return InvalidArgument("where[" + std::to_string(i) +
                             "] path must evaluate to a single boolean");
    }
    if (!result[0].node->get<bool>()) {
      return Status::OK();
    }
  }
  RowGenerator generator(*impl_, &context, rows);
  return generator.Run(root);
}

}  // namespace medlake::pipeline::sof
