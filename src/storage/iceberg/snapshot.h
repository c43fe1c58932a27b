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

// Bytes a serializer derived from the JSON text of a chunk of snapshots (the gzip metadata
// writer's compressed runs), with the CRC-32 and the length of that text, and what the writer needs
// to combine that CRC with others (zlib's crc32_combine_gen of the length).
struct SnapshotRunBytes {
  std::string bytes;
  uint32_t text_crc32 = 0;
  uint64_t text_size = 0;
  uint32_t crc_combine_op = 0;
};

// The snapshots of a table's metadata, in order. A committed snapshot never changes, so copies of
// a table's metadata share their snapshots, in chunks of kChunk: copying a list copies one
// pointer per chunk (a table with 10,000 snapshots is copied by every commit; a deep copy and
// free cost 16 ms there, one shared pointer per snapshot still ~1.4 ms). Each shared snapshot
// keeps its metadata JSON text once written (Json), and each full chunk what a serializer made
// of the chunk's text (ChunkRun: the gzip writer's compressed run), so a commit writes the
// unchanged history by copying bytes. Reads see `const Snapshot&`; changes go through push_back,
// erase, RemoveIf and Edit, which copy a chunk another list shares before changing it and never
// reach another list's snapshots.
//
// Thread-safety: as a std::vector of values; lists on different threads may share chunks and
// snapshots (their JSON text and runs are set once, by compare-and-swap).
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

 public:
  // Snapshots per chunk. Every chunk but the last is full.
  static constexpr size_t kChunk = 32;

 private:
  struct Chunk {
    Chunk() = default;
    Chunk(const Chunk& o) : items(o.items) {}  // a copy has no run yet
    Chunk& operator=(const Chunk&) = delete;
    ~Chunk() { delete run.load(); }
    std::vector<std::shared_ptr<const Item>> items;  // at most kChunk
    // Set once by ChunkRun on a full chunk, which then never changes (a change copies it).
    mutable std::atomic<const SnapshotRunBytes*> run{nullptr};
  };
  using Chunks = std::vector<std::shared_ptr<Chunk>>;

 public:
  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Snapshot;
    using difference_type = std::ptrdiff_t;
    using pointer = const Snapshot*;
    using reference = const Snapshot&;

    const_iterator() = default;
    const_iterator(const SnapshotList* list, size_t i) : list_(list), i_(i) {}
    reference operator*() const { return (*list_)[i_]; }
    pointer operator->() const { return &(*list_)[i_]; }
    reference operator[](difference_type n) const { return (*list_)[i_ + static_cast<size_t>(n)]; }
    const_iterator& operator++() { ++i_; return *this; }
    const_iterator operator++(int) { return const_iterator(list_, i_++); }
    const_iterator& operator--() { --i_; return *this; }
    const_iterator operator--(int) { return const_iterator(list_, i_--); }
    const_iterator& operator+=(difference_type n) { i_ += static_cast<size_t>(n); return *this; }
    const_iterator& operator-=(difference_type n) { i_ -= static_cast<size_t>(n); return *this; }
    friend const_iterator operator+(const_iterator a, difference_type n) { return a += n; }
    friend const_iterator operator+(difference_type n, const_iterator a) { return a += n; }
    friend const_iterator operator-(const_iterator a, difference_type n) { return a -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.i_ == b.i_; }
    friend auto operator<=>(const const_iterator& a, const const_iterator& b) { return a.i_ <=> b.i_; }
    size_t index() const { return i_; }

   private:
    const SnapshotList* list_ = nullptr;
    size_t i_ = 0;
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
  // A moved-from list is empty.
  SnapshotList(SnapshotList&& o) noexcept : chunks_(std::move(o.chunks_)), size_(std::exchange(o.size_, 0)) {
    o.chunks_.clear();
  }
  SnapshotList& operator=(SnapshotList&& o) noexcept {
    if (this != &o) {
      chunks_ = std::move(o.chunks_);
      size_ = std::exchange(o.size_, 0);
      o.chunks_.clear();
    }
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Snapshot& operator[](size_t i) const { return item(i).snapshot; }
  const Snapshot& at(size_t i) const;
  const Snapshot& front() const { return (*this)[0]; }
  const Snapshot& back() const { return (*this)[size_ - 1]; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

  void reserve(size_t n) { chunks_.reserve(n / kChunk + 1); }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }
  void push_back(Snapshot s);
  const_iterator erase(const_iterator pos);
  // Removes the snapshots for which `pred(const Snapshot&)` holds; returns how many.
  template <typename Pred>
  size_t RemoveIf(Pred pred) {
    std::vector<std::shared_ptr<const Item>> kept;
    kept.reserve(size_);
    for (const auto& chunk : chunks_) {
      for (const auto& item : chunk->items) {
        if (!pred(item->snapshot)) kept.push_back(item);
      }
    }
    const size_t removed = size_ - kept.size();
    if (removed > 0) Rebuild(std::move(kept));
    return removed;
  }
  // Replaces the i-th snapshot by a copy changed by `change(Snapshot&)`; other lists sharing it
  // keep theirs.
  template <typename Change>
  void Edit(size_t i, Change&& change) {
    Snapshot copy = (*this)[i];
    std::forward<Change>(change)(copy);
    auto chunk = std::make_shared<Chunk>(*chunks_[i / kChunk]);
    chunk->items[i % kChunk] = std::make_shared<const Item>(std::move(copy));
    chunks_[i / kChunk] = std::move(chunk);
  }
  // The i-th snapshot as a format-version 2 metadata JSON object (compact), written on first use
  // and kept with the snapshot (snapshot.cc).
  const std::string& Json(size_t i) const;
  // What `make()` returns for chunk `chunk` (snapshots [chunk * kChunk, (chunk + 1) * kChunk)),
  // made on first use and kept with the chunk, so shared by every list that shares the chunk.
  // Precondition: the chunk is full (chunk < size() / kChunk).
  const SnapshotRunBytes& ChunkRun(size_t chunk, const std::function<SnapshotRunBytes()>& make) const;

  bool operator==(const SnapshotList& o) const;
  bool operator!=(const SnapshotList& o) const { return !(*this == o); }

 private:
  const Item& item(size_t i) const { return *chunks_[i / kChunk]->items[i % kChunk]; }
  void Rebuild(std::vector<std::shared_ptr<const Item>> items);

  Chunks chunks_;
  size_t size_ = 0;
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
