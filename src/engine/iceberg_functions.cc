#include "engine/iceberg_functions.h"

#include <cstring>
#include <atomic>
#include <string>
#include <functional>
#include <string_view>
#include <vector>
#include <utility>

#include "core/crypto.h"
#include "engine/duckdb_internal.h"
#include "storage/iceberg/murmur3.h"

namespace medlake::engine {
namespace {

enum class Input { kLong, kString, kBlob };

int32_t Bucket(std::string_view bytes, int32_t n) {
  int32_t h = storage::iceberg::Murmur3Hash32(bytes);
  return static_cast<int32_t>((static_cast<uint32_t>(h) & 0x7FFFFFFFu) % static_cast<uint32_t>(n));
}

template <Input kInput>
void BucketFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector values = duckdb_data_chunk_get_vector(input, 0);
  duckdb_vector ns = duckdb_data_chunk_get_vector(input, 1);
  uint64_t* value_valid = duckdb_vector_get_validity(values);
  uint64_t* n_valid = duckdb_vector_get_validity(ns);
  auto* n_data = static_cast<int32_t*>(duckdb_vector_get_data(ns));
  auto* out = static_cast<int32_t*>(duckdb_vector_get_data(output));
  duckdb_vector_ensure_validity_writable(output);
  uint64_t* out_valid = duckdb_vector_get_validity(output);
  for (idx_t r = 0; r < rows; ++r) {
    if ((value_valid && !duckdb_validity_row_is_valid(value_valid, r)) ||
        (n_valid && !duckdb_validity_row_is_valid(n_valid, r))) {
      duckdb_validity_set_row_invalid(out_valid, r);
      continue;
    }
    int32_t n = n_data[r];
    if (n <= 0) {
      duckdb_scalar_function_set_error(info, "bucket count must be positive");
      return;
    }
    if constexpr (kInput == Input::kLong) {
      int64_t v = static_cast<int64_t*>(duckdb_vector_get_data(values))[r];
      char le[8];
      for (int i = 0; i < 8; ++i) le[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
      out[r] = Bucket(std::string_view(le, 8), n);
    } else {
      auto* s = static_cast<duckdb_string_t*>(duckdb_vector_get_data(values)) + r;
      out[r] = Bucket(std::string_view(duckdb_string_t_data(s), duckdb_string_t_length(*s)), n);
    }
  }
}

Status Register(duckdb_connection conn, const char* name, duckdb_type value_type,
                duckdb_scalar_function_t fn) {
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(f, name);
  duckdb_logical_type v = duckdb_create_logical_type(value_type);
  duckdb_logical_type i = duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
  duckdb_scalar_function_add_parameter(f, v);
  duckdb_scalar_function_add_parameter(f, i);
  duckdb_scalar_function_set_return_type(f, i);
  duckdb_scalar_function_set_function(f, fn);
  duckdb_state st = duckdb_register_scalar_function(conn, f);
  duckdb_destroy_logical_type(&v);
  duckdb_destroy_logical_type(&i);
  duckdb_destroy_scalar_function(&f);
  if (st != DuckDBSuccess) return Internal(std::string("registering SQL function ") + name);
  return Status::OK();
}

// The key's precomputed HMAC state, and a small per-thread cache of recent values: a pseudonym
// column repeats (one person, many events), and the cache makes repeats nearly free.
struct KeyedHash {
  explicit KeyedHash(const std::string& key) : hmac(key), id(NextId()) {}
  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next++;
  }
  HmacSha256Key hmac;
  const uint64_t id;  // unique per key object: a cache never outlives its key's identity
};

constexpr size_t kPseudonymHex = 24;  // the first 24 hex digits (96 bits) of the HMAC

void PseudonymOf(const KeyedHash& key, std::string_view value, char* out) {
  static const char kHex[] = "0123456789abcdef";
  const Sha256Digest d = key.hmac.Digest(value);
  for (size_t i = 0; i < kPseudonymHex / 2; ++i) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 0xf];
  }
}

// A direct-mapped cache per thread: 16,384 slots of values up to 40 bytes with their pseudonyms
// (1.2 MB). No allocation per row; a colliding value replaces the slot's.
struct PseudonymCache {
  static constexpr size_t kSlots = 16384;
  static constexpr size_t kMaxValue = 40;
  struct Slot {
    uint8_t length = 0xff;  // 0xff: empty
    char value[kMaxValue];
    char pseudonym[kPseudonymHex];
  };
  uint64_t owner = 0;
  std::vector<Slot> slots = std::vector<Slot>(kSlots);

  const char* Get(const KeyedHash& key, std::string_view v) {
    if (owner != key.id) {
      for (auto& s : slots) s.length = 0xff;
      owner = key.id;
    }
    Slot& s = slots[std::hash<std::string_view>()(v) & (kSlots - 1)];
    if (s.length != v.size() || std::memcmp(s.value, v.data(), v.size()) != 0) {
      PseudonymOf(key, v, s.pseudonym);
      std::memcpy(s.value, v.data(), v.size());
      s.length = static_cast<uint8_t>(v.size());
    }
    return s.pseudonym;
  }
};

void KeyedHashFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  const auto* state = static_cast<const KeyedHash*>(duckdb_scalar_function_get_extra_info(info));
  thread_local PseudonymCache cache;
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector values = duckdb_data_chunk_get_vector(input, 0);
  uint64_t* valid = duckdb_vector_get_validity(values);
  duckdb_vector_ensure_validity_writable(output);
  uint64_t* out_valid = duckdb_vector_get_validity(output);
  auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(values));
  for (idx_t r = 0; r < rows; ++r) {
    if (valid && !duckdb_validity_row_is_valid(valid, r)) {
      duckdb_validity_set_row_invalid(out_valid, r);
      continue;
    }
    std::string_view v(duckdb_string_t_data(data + r), duckdb_string_t_length(data[r]));
    if (v.size() > PseudonymCache::kMaxValue) {
      char hex[kPseudonymHex];
      PseudonymOf(*state, v, hex);
      duckdb_vector_assign_string_element_len(output, r, hex, kPseudonymHex);
      continue;
    }
    duckdb_vector_assign_string_element_len(output, r, cache.Get(*state, v), kPseudonymHex);
  }
}

void DeleteKey(void* state) { delete static_cast<KeyedHash*>(state); }

}  // namespace

Status RegisterKeyedHashFunction(Connection& conn, const std::string& key) {
  auto raw = static_cast<duckdb_connection>(conn.NativeHandleForEngine());
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(f, "medlake_keyed_hash");
  duckdb_logical_type v = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_scalar_function_add_parameter(f, v);
  duckdb_scalar_function_set_return_type(f, v);
  duckdb_scalar_function_set_function(f, KeyedHashFunction);
  duckdb_scalar_function_set_extra_info(f, new KeyedHash(key), DeleteKey);
  duckdb_state st = duckdb_register_scalar_function(raw, f);
  duckdb_destroy_logical_type(&v);
  duckdb_destroy_scalar_function(&f);
  if (st != DuckDBSuccess) return Internal("registering SQL function medlake_keyed_hash");
  return Status::OK();
}

Status RegisterParameterTypeFunctions(Connection& conn) {
  auto raw = static_cast<duckdb_connection>(conn.NativeHandleForEngine());
  auto identity = [](duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
    duckdb_vector_reference_vector(output, duckdb_data_chunk_get_vector(input, 0));
  };
  for (auto [name, type] : {std::pair{"medlake_param_int", DUCKDB_TYPE_INTEGER},
                            std::pair{"medlake_param_bigint", DUCKDB_TYPE_BIGINT},
                            std::pair{"medlake_param_text", DUCKDB_TYPE_VARCHAR}}) {
    duckdb_scalar_function f = duckdb_create_scalar_function();
    duckdb_scalar_function_set_name(f, name);
    duckdb_logical_type t = duckdb_create_logical_type(type);
    duckdb_scalar_function_add_parameter(f, t);
    duckdb_scalar_function_set_return_type(f, t);
    duckdb_scalar_function_set_function(f, identity);
    duckdb_state st = duckdb_register_scalar_function(raw, f);
    duckdb_destroy_logical_type(&t);
    duckdb_destroy_scalar_function(&f);
    if (st != DuckDBSuccess) return Internal(std::string("registering SQL function ") + name);
  }
  return Status::OK();
}

Status RegisterIcebergFunctions(Connection& conn) {
  auto raw = static_cast<duckdb_connection>(conn.NativeHandleForEngine());
  MEDLAKE_RETURN_IF_ERROR(Register(raw, "medlake_bucket_long", DUCKDB_TYPE_BIGINT, BucketFunction<Input::kLong>));
  MEDLAKE_RETURN_IF_ERROR(Register(raw, "medlake_bucket_string", DUCKDB_TYPE_VARCHAR, BucketFunction<Input::kString>));
  MEDLAKE_RETURN_IF_ERROR(Register(raw, "medlake_bucket_blob", DUCKDB_TYPE_BLOB, BucketFunction<Input::kBlob>));
  return Status::OK();
}

}  // namespace medlake::engine
