// Splits [0, count) into contiguous ranges, one per worker thread, for the project and paint
// CPU backends. Contiguous ranges keep each thread's reads and writes sequential.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

#include "backends.h"

namespace percept {

// Runs fn(begin, end) over [0, count) on up to CpuThreadCount() threads, the calling thread
// taking the first range. Below minPerThread items per thread, fewer threads are used: starting a
// thread costs tens of microseconds. std::thread's constructor may throw std::system_error.
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
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  try {
    for (std::size_t t = 1; t < threads; ++t) {
      const std::size_t begin = std::min(count, t * chunk);
      const std::size_t end = std::min(count, begin + chunk);
      pool.emplace_back([&fn, begin, end] { fn(begin, end); });
    }
  } catch (...) {
    for (auto& th : pool) th.join();  // never leave a joinable thread behind (std::terminate)
    throw;
  }
  fn(std::size_t{0}, std::min(count, chunk));
  for (auto& th : pool) th.join();
}

}  // namespace percept
