#include "storage/file_cache.h"

#include <cstdlib>

namespace medlake::storage {

ParsedFileCache& ParsedFileCache::Global() {
  static ParsedFileCache* cache = [] {
    uint64_t mb = 256;
    if (const char* env = std::getenv("MEDLAKE_FILE_CACHE_MB")) mb = std::strtoull(env, nullptr, 10);
    return new ParsedFileCache(mb << 20);
  }();
  return *cache;
}

std::shared_ptr<const void> ParsedFileCache::Find(const Key& key, const Stamp& stamp) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.stamp.size != stamp.size || it->second.stamp.mtime != stamp.mtime) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.value;
}

void ParsedFileCache::Insert(const Key& key, const Stamp& stamp, std::shared_ptr<const void> value, uint64_t cost) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cost > budget_) return;
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    bytes_ -= it->second.cost;
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
  lru_.push_front(key);
  entries_[key] = Entry{stamp, std::move(value), cost, lru_.begin()};
  bytes_ += cost;
  while (bytes_ > budget_ && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    bytes_ -= victim->second.cost;
    entries_.erase(victim);
    lru_.pop_back();
  }
}

void ParsedFileCache::EraseKey(const Key& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  bytes_ -= it->second.cost;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

ParsedFileCache::Stats ParsedFileCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{hits_, misses_, entries_.size(), bytes_};
}

void ParsedFileCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  lru_.clear();
  bytes_ = 0;
}

}  // namespace medlake::storage
