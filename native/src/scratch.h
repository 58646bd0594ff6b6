// Working memory the CPU kernels keep between calls. A LiDAR frame's kernels need a few hundred
// kilobytes of scratch; allocating it per call cost more than the work (fresh pages fault in one
// by one, and glibc hands large blocks back to the OS on free). Calls lease a scratch object from
// a pool and return it, so concurrent calls (JS thread and libuv workers) never share one.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace percept {

// Frees a vector's storage when it has grown past maxBytes, so one huge call does not pin its
// memory for the life of the process.
template <typename T>
void TrimScratch(std::vector<T>& v, std::size_t maxBytes) {
  if (v.capacity() * sizeof(T) > maxBytes) std::vector<T>().swap(v);
}

// T needs a default constructor and void Trim() (called when a lease ends).
template <typename T>
class ScratchPool {
 public:
  class Lease {
   public:
    Lease(ScratchPool* pool, std::unique_ptr<T> item) : pool_(pool), item_(std::move(item)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_->Return(std::move(item_)); }
    T& operator*() const { return *item_; }
    T* operator->() const { return item_.get(); }

   private:
    ScratchPool* pool_;
    std::unique_ptr<T> item_;
  };

  Lease Acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        std::unique_ptr<T> item = std::move(free_.back());
        free_.pop_back();
        return Lease(this, std::move(item));
      }
    }
    return Lease(this, std::make_unique<T>());
  }

 private:
  // More idle objects than concurrent callers are ever likely would only hold memory.
  static constexpr std::size_t kKeep = 2;

  void Return(std::unique_ptr<T> item) noexcept {
    item->Trim();
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() >= kKeep) return;
    try {
      free_.push_back(std::move(item));
    } catch (...) {
      // Out of memory for the list itself: the object is simply freed.
    }
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> free_;
};

// A pool that lives for the whole process: never destroyed, so a call still running on another
// thread while the process exits cannot return a lease into a destroyed pool.
template <typename T>
ScratchPool<T>& ProcessScratch() {
  static ScratchPool<T>* pool = new ScratchPool<T>();
  return *pool;
}

}  // namespace percept
