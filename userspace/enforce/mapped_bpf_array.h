// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "base/result.h"

namespace mcf2b {

// A BPF array map created with BPF_F_MMAPABLE, mapped shared into this process: stores
// here are what the program reads, with no syscall. Unmapped on destruction; movable
// (the mapping's address does not change).
class MappedBpfArray {
public:
  // Maps the whole array of the map behind `fd` (any fd of it; the map stays alive on
  // its own through its pin and program references).
  static Result<MappedBpfArray> map(int fd, const char *name);

  MappedBpfArray() = default;
  ~MappedBpfArray();
  MappedBpfArray(MappedBpfArray &&other) noexcept
      : data_(std::exchange(other.data_, nullptr)), length_(std::exchange(other.length_, 0)),
        value_size_(other.value_size_), entries_(other.entries_) {}
  MappedBpfArray &operator=(MappedBpfArray &&other) noexcept;
  MappedBpfArray(const MappedBpfArray &) = delete;
  MappedBpfArray &operator=(const MappedBpfArray &) = delete;

  [[nodiscard]] uint8_t *data() const { return static_cast<uint8_t *>(data_); }
  [[nodiscard]] uint32_t value_size() const { return value_size_; }
  [[nodiscard]] uint32_t entries() const { return entries_; }

private:
  void *data_ = nullptr;
  size_t length_ = 0;
  uint32_t value_size_ = 0, entries_ = 0;
};

} // namespace mcf2b
