#include "engine/native_functions.h"

#include <memory>
#include <utility>

#include "engine/duckdb_internal.h"

namespace medlake::engine {

struct NativeRow::Impl {
  NativeResultType type;
  duckdb_vector output;
  uint64_t* validity;
  idx_t row = 0;
  // Lists: the child vector and how many elements it holds so far.
  duckdb_vector child = nullptr;
  idx_t child_size = 0;
};

void NativeRow::SetNull() { duckdb_validity_set_row_invalid(impl_->validity, impl_->row); }

void NativeRow::SetText(std::string_view text) {
  duckdb_vector_assign_string_element_len(impl_->output, impl_->row, text.data(), text.size());
}

void NativeRow::AddListItem(std::string_view text) {
  idx_t at = impl_->child_size;
  duckdb_list_vector_reserve(impl_->output, at + 1);
  duckdb_vector_assign_string_element_len(impl_->child, at, text.data(), text.size());
  impl_->child_size = at + 1;
  duckdb_list_vector_set_size(impl_->output, impl_->child_size);
  static_cast<duckdb_list_entry*>(duckdb_vector_get_data(impl_->output))[impl_->row].length += 1;
}

void NativeRow::SetDate(int32_t days_since_epoch) {
  static_cast<duckdb_date*>(duckdb_vector_get_data(impl_->output))[impl_->row].days = days_since_epoch;
}

void NativeRow::SetTimestampTz(int64_t micros_since_epoch) {
  static_cast<duckdb_timestamp*>(duckdb_vector_get_data(impl_->output))[impl_->row].micros = micros_since_epoch;
}

namespace {

struct Registered {
  std::vector<NativeArgType> args;
  NativeResultType result;
  NativeFunctionBody body;
};

void Run(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  const auto* f = static_cast<const Registered*>(duckdb_scalar_function_get_extra_info(info));
  const idx_t rows = duckdb_data_chunk_get_size(input);
  const size_t n = f->args.size();
  std::vector<uint64_t*> valid(n);
  std::vector<void*> data(n);
  for (size_t i = 0; i < n; ++i) {
    duckdb_vector v = duckdb_data_chunk_get_vector(input, static_cast<idx_t>(i));
    valid[i] = duckdb_vector_get_validity(v);
    data[i] = duckdb_vector_get_data(v);
  }
  duckdb_vector_ensure_validity_writable(output);
  NativeRow::Impl impl{f->result, output, duckdb_vector_get_validity(output)};
  if (f->result == NativeResultType::kVarcharList) {
    impl.child = duckdb_list_vector_get_child(output);
    impl.child_size = duckdb_list_vector_get_size(output);
  }
  auto* entries = f->result == NativeResultType::kVarcharList
                      ? static_cast<duckdb_list_entry*>(duckdb_vector_get_data(output))
                      : nullptr;
  NativeRow row(&impl);
  std::vector<NativeArg> args(n);
  for (idx_t r = 0; r < rows; ++r) {
    impl.row = r;
    bool null = false;
    for (size_t i = 0; i < n && !null; ++i) {
      if (valid[i] && !duckdb_validity_row_is_valid(valid[i], r)) {
        null = true;
      } else if (f->args[i] == NativeArgType::kVarchar) {
        auto* s = static_cast<duckdb_string_t*>(data[i]) + r;
        args[i].text = std::string_view(duckdb_string_t_data(s), duckdb_string_t_length(*s));
      } else {
        args[i].number = static_cast<int64_t*>(data[i])[r];
      }
    }
    if (entries) entries[r] = duckdb_list_entry{impl.child_size, 0};
    if (null) {
      row.SetNull();
      continue;
    }
    f->body(args.data(), row);
  }
}

duckdb_logical_type TypeOf(NativeArgType t) {
  return duckdb_create_logical_type(t == NativeArgType::kVarchar ? DUCKDB_TYPE_VARCHAR : DUCKDB_TYPE_BIGINT);
}

duckdb_logical_type TypeOf(NativeResultType t) {
  switch (t) {
    case NativeResultType::kVarchar:
      return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    case NativeResultType::kVarcharList: {
      duckdb_logical_type element = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
      duckdb_logical_type list = duckdb_create_list_type(element);
      duckdb_destroy_logical_type(&element);
      return list;
    }
    case NativeResultType::kDate:
      return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
    case NativeResultType::kTimestampTz:
      return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ);
  }
  return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
}

}  // namespace

Status RegisterNativeFunction(Connection& conn, NativeFunction function) {
  if (!function.body) return InvalidArgument("native SQL function " + function.name + " has no body");
  auto raw = static_cast<duckdb_connection>(conn.NativeHandleForEngine());
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(f, function.name.c_str());
  for (NativeArgType a : function.args) {
    duckdb_logical_type t = TypeOf(a);
    duckdb_scalar_function_add_parameter(f, t);
    duckdb_destroy_logical_type(&t);
  }
  duckdb_logical_type result = TypeOf(function.result);
  duckdb_scalar_function_set_return_type(f, result);
  duckdb_destroy_logical_type(&result);
  duckdb_scalar_function_set_function(f, Run);
  auto* registered = new Registered{function.args, function.result, std::move(function.body)};
  duckdb_scalar_function_set_extra_info(f, registered, [](void* p) { delete static_cast<Registered*>(p); });
  duckdb_state st = duckdb_register_scalar_function(raw, f);
  duckdb_destroy_scalar_function(&f);
  if (st != DuckDBSuccess) return Internal("registering SQL function " + function.name);
  return Status::OK();
}

}  // namespace medlake::engine
