// The CPU backends' one way to run work on several cores: a process-wide pool of worker threads,
// started on first use and kept for the life of the process. Starting std::threads per call cost
// 50-100 µs each, more than a whole small kernel (one LiDAR sweep) takes.
//
// Tasks are claimed one at a time from a shared counter by the calling thread and the workers, so
// when a worker is slow to wake (or descheduled on a busy machine) the caller simply runs more of
// the tasks itself. One job uses the pool at a time: a call made while the pool is busy (a second
// JS thread, a libuv worker, a nested call) runs its tasks inline on its own thread. Kernels must
// therefore give the same result whichever thread runs a task and in whatever order.
#pragma once

#include <algorithm>
#include <cstddef>

namespace percept {

// Threads the CPU backend may use for one call, the caller included (backends.h).
unsigned CpuThreadCount();

// Calls run(ctx, t) once for every t in [0, tasks) and returns when all calls have returned.
// When a task throws, the remaining unclaimed tasks are skipped and the first exception is
// rethrown here, on the calling thread.
void RunTasks(std::size_t tasks, void (*run)(const void* ctx, std::size_t task), const void* ctx);

template <typename Fn>
void ParallelTasks(std::size_t tasks, const Fn& fn) {
  RunTasks(
      tasks, [](const void* ctx, std::size_t t) { (*static_cast<const Fn*>(ctx))(t); }, &fn);
}

// While one is alive, the pool's idle workers keep polling for work instead of going to sleep. A
// kernel that alternates parallel phases with serial ones holds one for the length of its call,
// so that each parallel phase finds the workers awake: a sleeping worker takes tens of
// microseconds to wake (more on a virtual machine), as long as a whole phase of a LiDAR frame.
class PoolAwake {
 public:
  PoolAwake();
  ~PoolAwake();
  PoolAwake(const PoolAwake&) = delete;
  PoolAwake& operator=(const PoolAwake&) = delete;

 private:
  bool held_;
};

// Runs fn(begin, end) over [0, count) in contiguous ranges, one per thread, on up to
// CpuThreadCount() threads. Below minPerThread items per thread fewer threads are used, since
// waking a worker and sharing cache lines costs more than tiny ranges save.
template <typename Fn>
void ParallelRanges(std::size_t count, std::size_t minPerThread, const Fn& fn) {
  const std::size_t byWork = count / std::max<std::size_t>(1, minPerThread);
  const std::size_t threads =
      std::max<std::size_t>(1, std::min<std::size_t>(CpuThreadCount(), byWork));
  if (threads == 1) {
    fn(std::size_t{0}, count);
    return;
  }
  const std::size_t chunk = (count + threads - 1) / threads;
  ParallelTasks(threads, [&](std::size_t t) {
    const std::size_t begin = std::min(count, t * chunk);
    fn(begin, std::min(count, begin + chunk));
  });
}

// Runs fn(begin, end) over [0, count) in ranges of `grain` items handed out dynamically: for
// work whose cost varies along the range. A single range when count <= grain.
template <typename Fn>
void ParallelChunks(std::size_t count, std::size_t grain, const Fn& fn) {
  grain = std::max<std::size_t>(1, grain);
  const std::size_t chunks = (count + grain - 1) / grain;
  if (chunks <= 1 || CpuThreadCount() == 1) {
    if (count > 0) fn(std::size_t{0}, count);
    return;
  }
  ParallelTasks(chunks, [&](std::size_t t) { fn(t * grain, std::min(count, (t + 1) * grain)); });
}

}  // namespace percept
