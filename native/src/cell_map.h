// A per-cell map to small numbers (0 = none) that a CPU kernel keeps between calls (scratch.h):
// grown to the largest grid seen and all 0 outside a call, because each call puts back exactly
// the entries it set. Everything else the kernel keeps is per touched cell (a few thousand for a
// sweep), so a large grid costs nothing per call beyond the cells the points touch.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace percept {

struct CellMap {
  std::vector<int32_t> map;
  bool dirty = false;  // a call threw before putting the entries back

  int32_t* Prepare(std::size_t cells) {
    if (dirty) std::fill(map.begin(), map.end(), 0);
    if (map.size() < cells) map.resize(cells, 0);
    dirty = true;
    return map.data();
  }
  // Puts back the entries of the listed cells.
  void Restore(const int32_t* cells, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) map[cells[k]] = 0;
    dirty = false;
  }
  // The caller has put back every entry it set.
  void Restored() { dirty = false; }
  // A huge grid should not pin its memory for the life of the process.
  void Trim() {
    constexpr std::size_t kKeepBytes = 32u << 20;
    if (map.capacity() * sizeof(int32_t) > kKeepBytes) {
      std::vector<int32_t>().swap(map);
      dirty = false;
    }
  }
};

}  // namespace percept
