// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/mapped_bpf_array.h"

#include <linux/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <string>

namespace mcf2b {

Result<MappedBpfArray> MappedBpfArray::map(int fd, const char *name) {
  bpf_map_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    return Error::sys(std::string("inspect ") + name);
  if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE))
    return Error::msg(std::string(name) + " is not an mmapable array");
  // Array values sit 8-byte aligned; the mapping covers whole pages.
  size_t stride = (size_t{info.value_size} + 7) & ~size_t{7};
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t length = (stride * info.max_entries + page - 1) / page * page;
  void *p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    return Error::sys(std::string("mmap ") + name);
  MappedBpfArray m;
  m.data_ = p;
  m.length_ = length;
  m.value_size_ = info.value_size;
  m.entries_ = info.max_entries;
  return m;
}

MappedBpfArray::~MappedBpfArray() {
  if (data_)
    ::munmap(data_, length_);
}

MappedBpfArray &MappedBpfArray::operator=(MappedBpfArray &&other) noexcept {
  if (this != &other) {
    if (data_)
      ::munmap(data_, length_);
    data_ = std::exchange(other.data_, nullptr);
    length_ = std::exchange(other.length_, 0);
    value_size_ = other.value_size_;
    entries_ = other.entries_;
  }
  return *this;
}

} // namespace mcf2b
