// ingest/mllp/mllp_sync_internal.h: a mutex and condition variable that carry clang's
// thread-safety annotations (private to ingest/mllp).
//
// core has no annotated mutex yet; std::mutex is not annotated in libstdc++, so clang's
// -Wthread-safety could not check MEDLAKE_GUARDED_BY members against it. This is leveldb's
// port::Mutex / port::CondVar pattern, kept local until core grows its own (then this file goes).
//
// Thread-safety: Mutex and CondVar are thread-safe by definition; MutexLock is a scoped guard
// used by one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define MEDLAKE_MLLP_TSA(x) __attribute__((x))
#else
#define MEDLAKE_MLLP_TSA(x)
#endif

#ifndef MEDLAKE_GUARDED_BY
#define MEDLAKE_GUARDED_BY(x) MEDLAKE_MLLP_TSA(guarded_by(x))
#endif
#ifndef MEDLAKE_REQUIRES
#define MEDLAKE_REQUIRES(...) MEDLAKE_MLLP_TSA(requires_capability(__VA_ARGS__))
#endif
#ifndef MEDLAKE_EXCLUDES
#define MEDLAKE_EXCLUDES(...) MEDLAKE_MLLP_TSA(locks_excluded(__VA_ARGS__))
#endif

namespace medlake::ingest::mllp::internal {

class MEDLAKE_MLLP_TSA(capability("mutex")) Mutex {
 public:
  void Lock() MEDLAKE_MLLP_TSA(acquire_capability()) { mu_.lock(); }
  void Unlock() MEDLAKE_MLLP_TSA(release_capability()) { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` for its scope.
class MEDLAKE_MLLP_TSA(scoped_lockable) MutexLock {
 public:
  explicit MutexLock(Mutex* mu) MEDLAKE_MLLP_TSA(acquire_capability(mu)) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() MEDLAKE_MLLP_TSA(release_capability()) { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* mu_;
};

// A condition variable bound to one Mutex (which must outlive it). Wait*() must be called with
// that mutex held; they release it while blocked and hold it again on return. (Not annotated:
// clang's analysis cannot tie `mu_` here to the caller's mutex, as in leveldb's port::CondVar.)
class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // Returns false on timeout.
  bool WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    bool notified = cv_.wait_for(lock, timeout) == std::cv_status::no_timeout;
    lock.release();
    return notified;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  Mutex* const mu_;
  std::condition_variable cv_;
};

}  // namespace medlake::ingest::mllp::internal
