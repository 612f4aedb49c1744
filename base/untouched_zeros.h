// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace mcf2b {

// A fixed-size array of zeros whose pages take no memory until written: anonymous
// memory straight from mmap, never value-initialized by the program (std::vector(n)
// writes every zero, making the whole array resident). For tables sized for the
// largest load (a million bans) that are mostly zero at rest.
template <class T> class UntouchedZeros {
  static_assert(std::is_trivial_v<T>, "zero bytes must be a valid T");

public:
  // Pages: the kernel's small ones, or, with `huge_pages`, transparent huge pages where
  // the system allows them on request: for memory filled front to back (a ring of log
  // lines), one fault per 2 MiB instead of one per 4 KiB; memory written at random
  // places would become resident 2 MiB at a time.
  enum class Pages { small, huge };
  explicit UntouchedZeros(size_t count, Pages pages = Pages::small) : count_(count) {
    if (count == 0)
      return;
    void *p = ::mmap(nullptr, count * sizeof(T), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      throw std::bad_alloc();
    data_ = static_cast<T *>(p);
    if (pages == Pages::huge)
      (void)::madvise(p, count * sizeof(T), MADV_HUGEPAGE); // a hint: refused is fine
  }
  ~UntouchedZeros() {
    if (data_)
      ::munmap(data_, count_ * sizeof(T));
  }
  UntouchedZeros(UntouchedZeros &&other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  UntouchedZeros &operator=(UntouchedZeros &&other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    return *this;
  }
  UntouchedZeros(const UntouchedZeros &) = delete;
  UntouchedZeros &operator=(const UntouchedZeros &) = delete;

  [[nodiscard]] size_t size() const { return count_; }
  T &operator[](size_t i) { return data_[i]; }
  const T &operator[](size_t i) const { return data_[i]; }
  T *data() { return data_; }
  const T *data() const { return data_; }

private:
  T *data_ = nullptr;
  size_t count_ = 0;
};

} // namespace mcf2b
