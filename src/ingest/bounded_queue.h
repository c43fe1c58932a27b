// ingest/bounded_queue.h: a bounded FIFO between one producer thread and one consumer thread.
//
// The loaders use it to prepare records (parse, check, hash) on a second thread while the
// loading thread appends them and DuckDB writes Parquet: memory stays bounded by `capacity`
// items and order is kept. Cancel() releases a producer blocked on a full queue when the
// consumer gives up (its later pushes are refused), so the producer can always be joined.
//
// Thread-safety: Push from one thread, Pop from another; Cancel from the consumer.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "core/status.h"

namespace medlake::ingest {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Waits for room; false when the queue was cancelled (the item is dropped).
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return cancelled_ || queue_.size() < capacity_; });
    if (cancelled_) return false;
    queue_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  // Waits for an item. The producer must end with a last item the consumer recognises.
  T Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty(); });
    T item = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return item;
  }

  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    not_full_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> queue_;
  bool cancelled_ = false;
};

// Runs `produce(&queue)` on a reader thread and `consume(item)` on this one for every item, in
// order, until an item with `last` set has been consumed or `consume` fails; then releases and
// joins the reader. The producer must push an item with `last` set at its end (it may stop early
// when Push returns false). Returns the first error of `consume`, else OK.
template <typename T, typename Produce, typename Consume>
Status ConsumeFromReaderThread(size_t capacity, Produce produce, Consume consume) {
  BoundedQueue<T> queue(capacity);
  std::thread reader([&queue, &produce] { produce(&queue); });
  Status result;
  while (result.ok()) {
    T item = queue.Pop();
    result = consume(item);
    if (item.last) break;
  }
  queue.Cancel();
  reader.join();
  return result;
}

}  // namespace medlake::ingest
