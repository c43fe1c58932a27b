// storage/iceberg/snapshot.h: snapshots and snapshot references (spec "Snapshots",
// "Snapshot References").
//
// Part of the Iceberg v2 model in storage/iceberg/; the table metadata (table_metadata.h) holds
// lists of these. Field names follow the spec's JSON keys.
//
// Thread-safety: values.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace medlake::storage::iceberg {

// Values of the summary's "operation" key (spec "Snapshots").
inline constexpr const char* kOperationAppend = "append";
inline constexpr const char* kOperationReplace = "replace";
inline constexpr const char* kOperationOverwrite = "overwrite";
inline constexpr const char* kOperationDelete = "delete";

struct Snapshot {
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_snapshot_id;  // absent for a snapshot with no parent
  int64_t sequence_number = 0;                // 0 for snapshots read from v1 metadata
  int64_t timestamp_ms = 0;
  std::string manifest_list;  // required in v2; empty only for v1 snapshots using `manifests`
  std::vector<std::string> manifests;  // v1 only (deprecated); always empty in v2
  // The summary string map, including "operation" (required in v2; see Appendix F for the
  // optional metric keys such as "added-records").
  std::map<std::string, std::string> summary;
  std::optional<int32_t> schema_id;

  // summary["operation"], or "" when absent (possible only in v1).
  std::string operation() const {
    auto it = summary.find("operation");
    return it == summary.end() ? std::string() : it->second;
  }

  bool operator==(const Snapshot& other) const {
    return snapshot_id == other.snapshot_id && parent_snapshot_id == other.parent_snapshot_id &&
           sequence_number == other.sequence_number && timestamp_ms == other.timestamp_ms &&
           manifest_list == other.manifest_list && manifests == other.manifests &&
           summary == other.summary && schema_id == other.schema_id;
  }
  bool operator!=(const Snapshot& other) const { return !(*this == other); }
};

// Bytes a serializer derived from the JSON text of a run of snapshots (the gzip metadata writer's
// compressed blocks), with the CRC-32 and the length of that text, and what the writer needs
// to combine that CRC with others (zlib's crc32_combine_gen of the length).
struct SnapshotRunBytes {
  std::string bytes;
  uint32_t text_crc32 = 0;
  uint64_t text_size = 0;
  uint32_t crc_combine_op = 0;
};

// The snapshots of a table's metadata, in order. A committed snapshot never changes, so copies of
// a table's metadata share their snapshots: copying a list copies pointers (a table with 10,000
// snapshots is copied by every commit, and a deep copy and free cost 16 ms there). Each shared
// snapshot also keeps its metadata JSON text once written (Json), so a commit writes the
// unchanged history by copying text. Reads see `const Snapshot&`; changes go through push_back,
// erase, RemoveIf and Edit, and never reach another list's snapshots.
//
// Thread-safety: as a std::vector of values; lists on different threads may share snapshots
// (their JSON text is set once, by compare-and-swap).
class SnapshotList {
  struct Item {
    explicit Item(Snapshot s) : snapshot(std::move(s)) {}
    ~Item() { delete json.load(); }
    Item(const Item&) = delete;
    Item& operator=(const Item&) = delete;
    const Snapshot snapshot;
    // Format-version 2 text, set once by Json() (the first writer wins; a racing one drops its own).
    mutable std::atomic<const std::string*> json{nullptr};
  };
  using Items = std::vector<std::shared_ptr<const Item>>;

 public:
  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Snapshot;
    using difference_type = std::ptrdiff_t;
    using pointer = const Snapshot*;
    using reference = const Snapshot&;

    const_iterator() = default;
    explicit const_iterator(Items::const_iterator it) : it_(it) {}
    reference operator*() const { return (*it_)->snapshot; }
    pointer operator->() const { return &(*it_)->snapshot; }
    reference operator[](difference_type n) const { return it_[n]->snapshot; }
    const_iterator& operator++() { ++it_; return *this; }
    const_iterator operator++(int) { return const_iterator(it_++); }
    const_iterator& operator--() { --it_; return *this; }
    const_iterator operator--(int) { return const_iterator(it_--); }
    const_iterator& operator+=(difference_type n) { it_ += n; return *this; }
    const_iterator& operator-=(difference_type n) { it_ -= n; return *this; }
    friend const_iterator operator+(const_iterator a, difference_type n) { return a += n; }
    friend const_iterator operator+(difference_type n, const_iterator a) { return a += n; }
    friend const_iterator operator-(const_iterator a, difference_type n) { return a -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) { return a.it_ - b.it_; }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.it_ == b.it_; }
    friend auto operator<=>(const const_iterator& a, const const_iterator& b) { return a.it_ <=> b.it_; }
    Items::const_iterator base() const { return it_; }

   private:
    Items::const_iterator it_;
  };
  using iterator = const_iterator;
  using value_type = Snapshot;
  using size_type = size_t;

  SnapshotList() = default;
  SnapshotList(std::initializer_list<Snapshot> items) {
    for (const Snapshot& s : items) push_back(s);
  }
  SnapshotList(const SnapshotList&) = default;
  SnapshotList& operator=(const SnapshotList&) = default;
  // A moved-from list keeps a run cache (shared), so it stays usable.
  SnapshotList(SnapshotList&& o) noexcept : items_(std::move(o.items_)), runs_(o.runs_) {}
  SnapshotList& operator=(SnapshotList&& o) noexcept {
    items_ = std::move(o.items_);
    runs_ = o.runs_;
    return *this;
  }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const Snapshot& operator[](size_t i) const { return items_[i]->snapshot; }
  const Snapshot& at(size_t i) const { return items_.at(i)->snapshot; }
  const Snapshot& front() const { return items_.front()->snapshot; }
  const Snapshot& back() const { return items_.back()->snapshot; }
  const_iterator begin() const { return const_iterator(items_.begin()); }
  const_iterator end() const { return const_iterator(items_.end()); }

  void reserve(size_t n) { items_.reserve(n); }
  void clear() { items_.clear(); }
  void push_back(Snapshot s) { items_.push_back(std::make_shared<const Item>(std::move(s))); }
  const_iterator erase(const_iterator pos) { return const_iterator(items_.erase(pos.base())); }
  // Removes the snapshots for which `pred(const Snapshot&)` holds; returns how many.
  template <typename Pred>
  size_t RemoveIf(Pred pred) {
    size_t before = items_.size();
    std::erase_if(items_, [&](const std::shared_ptr<const Item>& item) { return pred(item->snapshot); });
    return before - items_.size();
  }
  // Replaces the i-th snapshot by a copy changed by `change(Snapshot&)`; other lists sharing it
  // keep theirs.
  template <typename Change>
  void Edit(size_t i, Change&& change) {
    Snapshot copy = items_[i]->snapshot;
    std::forward<Change>(change)(copy);
    items_[i] = std::make_shared<const Item>(std::move(copy));
  }
  // The i-th snapshot as a format-version 2 metadata JSON object (compact), written on first use
  // and kept with the snapshot (snapshot.cc).
  const std::string& Json(size_t i) const;
  // What `make()` returns for the run of snapshots [begin, begin + count), kept in a cache that
  // this list shares with its copies, and returned again while the run holds the same snapshot
  // objects (a snapshot changed by Edit is a new object). The cache drops runs no longer listed.
  // Precondition: begin + count <= size(), count > 0.
  std::shared_ptr<const SnapshotRunBytes> Run(size_t begin, size_t count,
                                              const std::function<SnapshotRunBytes()>& make) const;

  bool operator==(const SnapshotList& o) const {
    if (items_.size() != o.items_.size()) return false;
    for (size_t i = 0; i < items_.size(); ++i) {
      if (items_[i] != o.items_[i] && items_[i]->snapshot != o.items_[i]->snapshot) return false;
    }
    return true;
  }
  bool operator!=(const SnapshotList& o) const { return !(*this == o); }

 private:
  struct RunCache;
  static std::shared_ptr<RunCache> NewRunCache();

  Items items_;
  std::shared_ptr<RunCache> runs_ = NewRunCache();  // shared by copies
};

enum class SnapshotRefType { kBranch, kTag };

inline constexpr const char* kMainBranch = "main";

// A named branch or tag (the values of the table metadata's "refs" map).
struct SnapshotRef {
  int64_t snapshot_id = 0;
  SnapshotRefType type = SnapshotRefType::kBranch;
  std::optional<int32_t> min_snapshots_to_keep;  // branches only
  std::optional<int64_t> max_snapshot_age_ms;    // branches only
  std::optional<int64_t> max_ref_age_ms;         // never for the main branch

  bool operator==(const SnapshotRef& other) const {
    return snapshot_id == other.snapshot_id && type == other.type &&
           min_snapshots_to_keep == other.min_snapshots_to_keep &&
           max_snapshot_age_ms == other.max_snapshot_age_ms &&
           max_ref_age_ms == other.max_ref_age_ms;
  }
  bool operator!=(const SnapshotRef& other) const { return !(*this == other); }
};

}  // namespace medlake::storage::iceberg
