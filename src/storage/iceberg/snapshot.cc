#include "storage/iceberg/snapshot.h"

#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "storage/iceberg/json_internal.h"

namespace medlake::storage::iceberg {

const std::string& SnapshotList::Json(size_t i) const {
  const Item& it = item(i);
  const std::string* text = it.json.load(std::memory_order_acquire);
  if (text != nullptr) return *text;
  auto fresh = std::make_unique<std::string>();
  internal::AppendSnapshotJson(fresh.get(), it.snapshot, 2);
  const std::string* expected = nullptr;
  if (it.json.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel)) return *fresh.release();
  return *expected;  // another thread set it first
}

const Snapshot& SnapshotList::at(size_t i) const {
  if (i >= size_) throw std::out_of_range("SnapshotList::at");
  return (*this)[i];
}

void SnapshotList::push_back(Snapshot s) {
  auto item = std::make_shared<const Item>(std::move(s));
  if (chunks_.empty() || chunks_.back()->items.size() == kChunk) {
    chunks_.push_back(std::make_shared<Chunk>());
    chunks_.back()->items.reserve(kChunk);
  } else if (chunks_.back().use_count() > 1) {
    chunks_.back() = std::make_shared<Chunk>(*chunks_.back());  // shared: copy before changing
    chunks_.back()->items.reserve(kChunk);
  }
  chunks_.back()->items.push_back(std::move(item));
  ++size_;
}

SnapshotList::const_iterator SnapshotList::erase(const_iterator pos) {
  const size_t at_index = pos.index();
  size_t i = 0;
  RemoveIf([&](const Snapshot&) { return i++ == at_index; });
  return const_iterator(this, at_index);
}

void SnapshotList::Rebuild(std::vector<std::shared_ptr<const Item>> items) {
  chunks_.clear();
  size_ = 0;
  chunks_.reserve(items.size() / kChunk + 1);
  for (auto& item : items) {
    if (chunks_.empty() || chunks_.back()->items.size() == kChunk) {
      chunks_.push_back(std::make_shared<Chunk>());
      chunks_.back()->items.reserve(kChunk);
    }
    chunks_.back()->items.push_back(std::move(item));
    ++size_;
  }
}

const SnapshotRunBytes& SnapshotList::ChunkRun(size_t chunk, const std::function<SnapshotRunBytes()>& make) const {
  const Chunk& c = *chunks_[chunk];
  const SnapshotRunBytes* run = c.run.load(std::memory_order_acquire);
  if (run != nullptr) return *run;
  auto fresh = std::make_unique<SnapshotRunBytes>(make());
  const SnapshotRunBytes* expected = nullptr;
  if (c.run.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel)) return *fresh.release();
  return *expected;  // another thread set it first
}

bool SnapshotList::operator==(const SnapshotList& o) const {
  if (size_ != o.size_) return false;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    if (chunks_[c] == o.chunks_[c]) continue;
    const auto& a = chunks_[c]->items;
    const auto& b = o.chunks_[c]->items;
    for (size_t k = 0; k < a.size(); ++k) {
      if (a[k] != b[k] && a[k]->snapshot != b[k]->snapshot) return false;
    }
  }
  return true;
}

}  // namespace medlake::storage::iceberg

namespace medlake::storage::iceberg::internal {

Result<Snapshot> SnapshotFromJson(const Json& json, int format_version, std::string_view ctx) {
  MEDLAKE_RETURN_IF_ERROR(RequireObject(json, ctx));
  const bool v2 = format_version >= 2;
  Snapshot s;
  MEDLAKE_ASSIGN_OR_RETURN(s.snapshot_id, GetInt64(json, "snapshot-id", ctx));
  std::string snap_ctx = std::string(ctx) + " " + std::to_string(s.snapshot_id);
  MEDLAKE_ASSIGN_OR_RETURN(s.parent_snapshot_id,
                           GetOptionalInt64(json, "parent-snapshot-id", snap_ctx));
  if (v2) {
    MEDLAKE_ASSIGN_OR_RETURN(s.sequence_number, GetInt64(json, "sequence-number", snap_ctx));
  } else {
    // Appendix E: snapshot field sequence-number must default to 0 when reading v1 metadata.
    MEDLAKE_ASSIGN_OR_RETURN(auto seq, GetOptionalInt64(json, "sequence-number", snap_ctx));
    s.sequence_number = seq.value_or(0);
  }
  MEDLAKE_ASSIGN_OR_RETURN(s.timestamp_ms, GetInt64(json, "timestamp-ms", snap_ctx));
  if (v2) {
    MEDLAKE_ASSIGN_OR_RETURN(s.manifest_list, GetString(json, "manifest-list", snap_ctx));
  } else {
    MEDLAKE_ASSIGN_OR_RETURN(auto list, GetOptionalString(json, "manifest-list", snap_ctx));
    s.manifest_list = list.value_or("");
    if (const Json* manifests = FindMember(json, "manifests")) {
      MEDLAKE_RETURN_IF_ERROR(RequireArray(*manifests, snap_ctx + ": 'manifests'"));
      for (const Json& m : *manifests) {
        MEDLAKE_ASSIGN_OR_RETURN(std::string path, AsString(m, "manifests", snap_ctx));
        s.manifests.push_back(std::move(path));
      }
    }
    if (s.manifest_list.empty() && s.manifests.empty() &&
        FindMember(json, "manifests") == nullptr) {
      return DataLoss(snap_ctx + ": needs 'manifest-list' or 'manifests'");
    }
  }
  if (v2)
    MEDLAKE_RETURN_IF_ERROR(GetMember(json, "summary", snap_ctx).status());
  MEDLAKE_ASSIGN_OR_RETURN(s.summary, GetStringMap(json, "summary", snap_ctx));
  if (v2 && s.summary.count("operation") == 0) {
    return DataLoss(snap_ctx + ": summary is missing required key 'operation'");
  }
  MEDLAKE_ASSIGN_OR_RETURN(s.schema_id, GetOptionalInt32(json, "schema-id", snap_ctx));
  return s;
}

void AppendJsonString(std::string* out, std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      // Escapes, non-ASCII and invalid UTF-8: the JSON library's rules (DumpJson).
      out->append(DumpJson(Json(std::string(text)), -1));
      return;
    }
  }
  out->push_back('"');
  out->append(text);
  out->push_back('"');
}

namespace {

void AppendKey(std::string* out, bool* first, std::string_view key) {
  if (!*first) out->push_back(',');
  *first = false;
  out->push_back('"');
  out->append(key);  // keys are fixed ASCII names
  out->append("\":");
}

}  // namespace

void AppendSnapshotJson(std::string* out, const Snapshot& s, int format_version) {
  bool first = true;
  out->push_back('{');
  AppendKey(out, &first, "snapshot-id");
  out->append(std::to_string(s.snapshot_id));
  if (s.parent_snapshot_id) {
    AppendKey(out, &first, "parent-snapshot-id");
    out->append(std::to_string(*s.parent_snapshot_id));
  }
  // Appendix E: v1 metadata must not carry sequence numbers.
  if (format_version >= 2) {
    AppendKey(out, &first, "sequence-number");
    out->append(std::to_string(s.sequence_number));
  }
  AppendKey(out, &first, "timestamp-ms");
  out->append(std::to_string(s.timestamp_ms));
  if (!s.manifest_list.empty() || format_version >= 2) {
    AppendKey(out, &first, "manifest-list");
    AppendJsonString(out, s.manifest_list);
  }
  if (s.manifest_list.empty() && format_version < 2) {
    AppendKey(out, &first, "manifests");
    out->push_back('[');
    for (size_t i = 0; i < s.manifests.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(out, s.manifests[i]);
    }
    out->push_back(']');
  }
  if (!s.summary.empty() || format_version >= 2) {
    // "operation" first, as the spec's example and Java write it; the rest in key order.
    AppendKey(out, &first, "summary");
    bool first_entry = true;
    out->push_back('{');
    auto op = s.summary.find("operation");
    if (op != s.summary.end()) {
      first_entry = false;
      out->append("\"operation\":");
      AppendJsonString(out, op->second);
    }
    for (const auto& [k, v] : s.summary) {
      if (k == "operation") continue;
      if (!first_entry) out->push_back(',');
      first_entry = false;
      AppendJsonString(out, k);
      out->push_back(':');
      AppendJsonString(out, v);
    }
    out->push_back('}');
  }
  if (s.schema_id) {
    AppendKey(out, &first, "schema-id");
    out->append(std::to_string(*s.schema_id));
  }
  out->push_back('}');
}

Result<SnapshotRef> SnapshotRefFromJson(const Json& json, std::string_view ctx) {
  MEDLAKE_RETURN_IF_ERROR(RequireObject(json, ctx));
  SnapshotRef ref;
  MEDLAKE_ASSIGN_OR_RETURN(ref.snapshot_id, GetInt64(json, "snapshot-id", ctx));
  MEDLAKE_ASSIGN_OR_RETURN(std::string type, GetString(json, "type", ctx));
  if (type == "branch") {
    ref.type = SnapshotRefType::kBranch;
  } else if (type == "tag") {
    ref.type = SnapshotRefType::kTag;
  } else {
    return DataLoss(std::string(ctx) + ": 'type' must be \"branch\" or \"tag\"");
  }
  MEDLAKE_ASSIGN_OR_RETURN(ref.min_snapshots_to_keep,
                           GetOptionalInt32(json, "min-snapshots-to-keep", ctx));
  MEDLAKE_ASSIGN_OR_RETURN(ref.max_snapshot_age_ms,
                           GetOptionalInt64(json, "max-snapshot-age-ms", ctx));
  MEDLAKE_ASSIGN_OR_RETURN(ref.max_ref_age_ms, GetOptionalInt64(json, "max-ref-age-ms", ctx));
  return ref;
}

Json SnapshotRefToJsonValue(const SnapshotRef& ref) {
  Json j = Json::object();
  j["snapshot-id"] = ref.snapshot_id;
  j["type"] = ref.type == SnapshotRefType::kBranch ? "branch" : "tag";
  if (ref.min_snapshots_to_keep)
    j["min-snapshots-to-keep"] = *ref.min_snapshots_to_keep;
  if (ref.max_snapshot_age_ms)
    j["max-snapshot-age-ms"] = *ref.max_snapshot_age_ms;
  if (ref.max_ref_age_ms)
    j["max-ref-age-ms"] = *ref.max_ref_age_ms;
  return j;
}

}  // namespace medlake::storage::iceberg::internal
