#include "parallel.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace percept {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// How long an idle worker keeps polling before it sleeps: long enough to catch the next phase of
// a kernel, or the next kernel call of the same frame (a few microseconds of JS apart), without a
// futex wake-up; short, because on a machine shared with other work a polling thread takes CPU
// time from them and from this process's own caller (100 µs measurably slowed frames there).
constexpr auto kIdleSpin = std::chrono::microseconds(30);

// The caller spins this many rounds waiting for a worker's last task before yielding its core.
constexpr int kWaitSpins = 1024;

class Pool {
 public:
  explicit Pool(unsigned workers) {
    for (unsigned i = 0; i < workers; ++i) {
      try {
        std::thread(&Pool::WorkerLoop, this).detach();
        ++workers_;
      } catch (const std::system_error&) {
        break;  // fewer workers (or none): RunTasks still works, inline
      }
    }
  }

  // While positive, idle workers poll instead of sleeping (PoolAwake); after it drops, they
  // poll for kIdleSpin more, as after a job, in case the next kernel of a frame follows.
  void HoldAwake(int delta) {
    if (delta < 0) released_.store(Now(), std::memory_order_relaxed);
    if (awake_.fetch_add(delta) == 0 && delta > 0 && sleepers_.load() > 0) {
      { std::lock_guard<std::mutex> lock(mutex_); }
      wake_.notify_all();
    }
  }

  void Run(std::size_t tasks, void (*run)(const void*, std::size_t), const void* ctx) {
    bool idle = false;
    if (workers_ == 0 || tasks < 2 || !busy_.compare_exchange_strong(idle, true, std::memory_order_acquire)) {
      for (std::size_t t = 0; t < tasks; ++t) run(ctx, t);
      return;
    }
    // Workers read these only between seeing open_ set and leaving (inside_ back to 0), and they
    // are only written while open_ is clear and inside_ is 0.
    run_ = run;
    ctx_ = ctx;
    tasks_ = tasks;
    error_ = nullptr;
    failed_.store(false, std::memory_order_relaxed);
    next_.store(0, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    open_.store(true);
    epoch_.fetch_add(1);
    if (sleepers_.load() > 0) {
      { std::lock_guard<std::mutex> lock(mutex_); }
      wake_.notify_all();
    }
    Work();
    for (int spins = 0; done_.load(std::memory_order_acquire) < tasks;) {
      if (++spins < kWaitSpins) {
        CpuRelax();
      } else {
        std::this_thread::yield();
      }
    }
    // A worker that saw this job late may still be about to claim from next_: wait until every
    // worker that entered has left before the fields are reused.
    open_.store(false);
    while (inside_.load() != 0) std::this_thread::yield();
    std::exception_ptr error = error_;
    busy_.store(false, std::memory_order_release);
    if (error) std::rethrow_exception(error);
  }

 private:
  void Work() {
    for (;;) {
      const std::size_t t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= tasks_) return;
      if (!failed_.load(std::memory_order_relaxed)) {
        try {
          run_(ctx_, t);
        } catch (...) {
          std::lock_guard<std::mutex> lock(errorMutex_);
          if (!error_) error_ = std::current_exception();
          failed_.store(true, std::memory_order_relaxed);
        }
      }
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  void WorkerLoop() {
    std::uint64_t seen = epoch_.load();
    for (;;) {
      const auto spinUntil = std::chrono::steady_clock::now() + kIdleSpin;
      for (unsigned k = 1; epoch_.load(std::memory_order_acquire) == seen; ++k) {
        CpuRelax();
        if (k % 64 == 0 && awake_.load(std::memory_order_relaxed) == 0 && Idle(spinUntil)) {
          std::unique_lock<std::mutex> lock(mutex_);
          sleepers_.fetch_add(1);
          wake_.wait(lock, [&] { return epoch_.load() != seen || awake_.load() > 0; });
          sleepers_.fetch_sub(1);
          if (epoch_.load() != seen) break;
          k = 0;  // held awake: poll again
        }
      }
      seen = epoch_.load();
      // Entering before looking at open_ (both sequentially consistent) means the caller either
      // sees this worker inside or this worker sees the job closed.
      inside_.fetch_add(1);
      if (open_.load()) Work();
      inside_.fetch_sub(1);
    }
  }

  using Clock = std::chrono::steady_clock;
  static Clock::rep Now() { return Clock::now().time_since_epoch().count(); }
  // Past the polling time after this worker's last job and after the last PoolAwake ended.
  bool Idle(Clock::time_point spinUntil) const {
    const Clock::time_point now = Clock::now();
    const Clock::time_point released{Clock::duration(released_.load(std::memory_order_relaxed))};
    return now > spinUntil && now > released + kIdleSpin;
  }

  unsigned workers_ = 0;
  std::atomic<int> awake_{0};
  std::atomic<Clock::rep> released_{0};
  std::atomic<bool> busy_{false};
  std::atomic<bool> open_{false};
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<unsigned> inside_{0};
  std::atomic<unsigned> sleepers_{0};
  std::mutex mutex_;
  std::condition_variable wake_;

  void (*run_)(const void*, std::size_t) = nullptr;
  const void* ctx_ = nullptr;
  std::size_t tasks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> done_{0};
  std::atomic<bool> failed_{false};
  std::mutex errorMutex_;
  std::exception_ptr error_;
};

Pool& ThePool() {
  // Never destroyed: workers may still be parked in it while the process exits, and joining
  // threads from a static destructor can deadlock.
  static Pool* pool = new Pool(CpuThreadCount() > 1 ? CpuThreadCount() - 1 : 0);
  return *pool;
}

}  // namespace

PoolAwake::PoolAwake() : held_(CpuThreadCount() > 1) {
  if (held_) ThePool().HoldAwake(1);
}

PoolAwake::~PoolAwake() {
  if (held_) ThePool().HoldAwake(-1);
}

void RunTasks(std::size_t tasks, void (*run)(const void* ctx, std::size_t task), const void* ctx) {
  if (tasks == 0) return;
  if (tasks == 1 || CpuThreadCount() == 1) {
    for (std::size_t t = 0; t < tasks; ++t) run(ctx, t);
    return;
  }
  ThePool().Run(tasks, run, ctx);
}

}  // namespace percept
