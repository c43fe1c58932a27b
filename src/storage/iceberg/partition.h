// storage/iceberg/partition.h: partition specs (spec "Partitioning", Appendix C "Partition Specs").
//
// Part of the Iceberg v2 model in storage/iceberg/. A PartitionSpec lists partition fields, each a
// transform (transform.h) of one source column. This file also derives the partition tuple type
// (the `partition` struct of manifests) and the Hive-style path fragment of a partition tuple
// ("name=value/..." as Java's PartitionSpec#partitionToPath writes under data/).
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/iceberg/schema.h"
#include "storage/iceberg/transform.h"
#include "storage/iceberg/types.h"
#include "storage/iceberg/value.h"

namespace medlake::storage::iceberg {

// v1 tables assigned partition field ids from 1000; an unpartitioned table's last-partition-id
// is therefore 999.
inline constexpr int32_t kPartitionDataIdStart = 1000;

struct PartitionField {
  int32_t source_id = 0;
  int32_t field_id = 0;
  std::string name;
  Transform transform;

  bool operator==(const PartitionField& other) const {
    return source_id == other.source_id && field_id == other.field_id && name == other.name &&
           transform == other.transform;
  }
  bool operator!=(const PartitionField& other) const { return !(*this == other); }
};

struct PartitionSpec {
  int32_t spec_id = 0;
  std::vector<PartitionField> fields;

  bool is_unpartitioned() const { return fields.empty(); }
  bool operator==(const PartitionSpec& other) const {
    return spec_id == other.spec_id && fields == other.fields;
  }
  bool operator!=(const PartitionSpec& other) const { return !(*this == other); }
};

// The highest partition field id of `spec`, or kPartitionDataIdStart - 1 if it has none.
int32_t HighestPartitionFieldId(const PartitionSpec& spec);

// The partition tuple type: a struct with one optional field per partition field (id = field-id,
// name = partition name, type = the transform's result type on the source column in `schema`).
// InvalidArgument if a source id is missing from `schema` or the transform does not accept the
// source type; Unimplemented for an unknown transform.
Result<Type> PartitionType(const PartitionSpec& spec, const Schema& schema);

// The Hive-style path of a partition tuple, as Java's PartitionSpec#partitionToPath:
// "<name>=<value>" per field joined by "/", where value is TransformHumanString of the tuple
// value and both name and value are escaped like java.net.URLEncoder (UTF-8; letters, digits and
// ".-*_" kept, space -> "+", everything else %XX). `partition` holds the transformed values in
// spec order. InvalidArgument if its size differs from the spec, a value does not match the
// field's result type, or a source column is missing; Unimplemented for an unknown transform.
Result<std::string> PartitionToPath(const PartitionSpec& spec, const Schema& schema,
                                    const std::vector<Value>& partition);

// java.net.URLEncoder#encode(text, UTF-8) of `text`.
std::string UrlEncodeLikeJava(std::string_view text);

// Parses a partition spec object ({"spec-id":0,"fields":[{"source-id":..,"field-id":..,
// "name":..,"transform":..}]}) in its v2 form: every field needs "field-id". Unknown transform
// names are kept as TransformKind::kUnknown (spec: readers ignore them). DataLoss for malformed
// JSON, missing or mistyped members, or a bad transform parameter ("bucket[0]").
Result<PartitionSpec> ParsePartitionSpecJson(std::string_view json);

// The spec object as compact JSON text (keys in the order of the spec's example).
std::string PartitionSpecToJson(const PartitionSpec& spec);

}  // namespace medlake::storage::iceberg
