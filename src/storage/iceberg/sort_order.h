// storage/iceberg/sort_order.h: sort orders (spec "Sorting", Appendix C "Sort Orders").
//
// Part of the Iceberg v2 model in storage/iceberg/. Order id 0 is reserved for the unsorted
// order (no fields). Transforms are the partition transforms (transform.h); unknown ones are
// kept as TransformKind::kUnknown when read.
//
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <vector>

#include "storage/iceberg/transform.h"

namespace medlake::storage::iceberg {

enum class SortDirection { kAsc, kDesc };
enum class NullOrder { kNullsFirst, kNullsLast };

inline constexpr int32_t kUnsortedOrderId = 0;

struct SortField {
  Transform transform;
  int32_t source_id = 0;
  SortDirection direction = SortDirection::kAsc;
  NullOrder null_order = NullOrder::kNullsFirst;

  bool operator==(const SortField& other) const {
    return transform == other.transform && source_id == other.source_id &&
           direction == other.direction && null_order == other.null_order;
  }
  bool operator!=(const SortField& other) const { return !(*this == other); }
};

struct SortOrder {
  int32_t order_id = kUnsortedOrderId;
  std::vector<SortField> fields;

  bool is_unsorted() const { return fields.empty(); }
  bool operator==(const SortOrder& other) const {
    return order_id == other.order_id && fields == other.fields;
  }
  bool operator!=(const SortOrder& other) const { return !(*this == other); }
};

}  // namespace medlake::storage::iceberg
