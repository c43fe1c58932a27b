#include "storage/iceberg/sort_order.h"

#include <utility>

#include "storage/iceberg/json_internal.h"

namespace medlake::storage::iceberg::internal {

Result<SortOrder> SortOrderFromJson(const Json& json, std::string_view ctx) {
  MEDLAKE_RETURN_IF_ERROR(RequireObject(json, ctx));
  SortOrder order;
  MEDLAKE_ASSIGN_OR_RETURN(order.order_id, GetInt32(json, "order-id", ctx));
  std::string order_ctx = std::string(ctx) + " " + std::to_string(order.order_id);
  MEDLAKE_ASSIGN_OR_RETURN(const Json* fields, GetMember(json, "fields", order_ctx));
  MEDLAKE_RETURN_IF_ERROR(RequireArray(*fields, order_ctx + ": 'fields'"));
  for (const Json& item : *fields) {
    MEDLAKE_RETURN_IF_ERROR(RequireObject(item, order_ctx + " field"));
    SortField f;
    MEDLAKE_ASSIGN_OR_RETURN(f.source_id, GetInt32(item, "source-id", order_ctx));
    std::string field_ctx = order_ctx + " field on source " + std::to_string(f.source_id);
    MEDLAKE_ASSIGN_OR_RETURN(std::string transform, GetString(item, "transform", field_ctx));
    auto parsed = ParseTransformForRead(transform);
    if (!parsed.ok())
      return DataLoss(field_ctx + ": " + parsed.status().message());
    f.transform = std::move(parsed).value();
    MEDLAKE_ASSIGN_OR_RETURN(std::string direction, GetString(item, "direction", field_ctx));
    if (direction == "asc") {
      f.direction = SortDirection::kAsc;
    } else if (direction == "desc") {
      f.direction = SortDirection::kDesc;
    } else {
      return DataLoss(field_ctx + ": 'direction' must be \"asc\" or \"desc\"");
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string null_order, GetString(item, "null-order", field_ctx));
    if (null_order == "nulls-first") {
      f.null_order = NullOrder::kNullsFirst;
    } else if (null_order == "nulls-last") {
      f.null_order = NullOrder::kNullsLast;
    } else {
      return DataLoss(field_ctx + ": 'null-order' must be \"nulls-first\" or \"nulls-last\"");
    }
    order.fields.push_back(std::move(f));
  }
  return order;
}

Json SortOrderToJsonValue(const SortOrder& order) {
  Json j = Json::object();
  j["order-id"] = order.order_id;
  Json fields = Json::array();
  for (const SortField& f : order.fields) {
    Json fj = Json::object();
    fj["transform"] = TransformToString(f.transform);
    fj["source-id"] = f.source_id;
    fj["direction"] = f.direction == SortDirection::kAsc ? "asc" : "desc";
    fj["null-order"] = f.null_order == NullOrder::kNullsFirst ? "nulls-first" : "nulls-last";
    fields.push_back(std::move(fj));
  }
  j["fields"] = std::move(fields);
  return j;
}

}  // namespace medlake::storage::iceberg::internal
