// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/bpf_map_ops.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace mcf2b {

namespace {
// The kernel-internal ENOTSUPP some BPF commands return for "not implemented for this
// map type"; not in the userspace headers.
constexpr int kEnotsupp = 524;
} // namespace

bool batch_unsupported(int err) {
  return err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == kEnotsupp;
}

Result<bool> BpfMapRef::lookup(const void *key, void *value) const {
  if (bpf_map_lookup_elem(fd_, key, value) == 0)
    return true;
  if (errno == ENOENT)
    return false;
  return Error::sys(std::string("lookup in ") + name_);
}

Status BpfMapRef::update(const void *key, const void *value, uint64_t flags) const {
  if (bpf_map_update_elem(fd_, key, value, flags) != 0)
    return Error::sys(std::string("update ") + name_);
  return {};
}

Status BpfMapRef::erase(const void *key) const {
  if (bpf_map_delete_elem(fd_, key) != 0 && errno != ENOENT)
    return Error::sys(std::string("delete from ") + name_);
  return {};
}

BatchOutcome BpfMapRef::update_batch(const uint8_t *keys, const uint8_t *values, uint32_t count,
                                     uint64_t elem_flags) const {
  if (count == 0)
    return {};
  uint32_t done = count;
  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = elem_flags);
  if (bpf_map_update_batch(fd_, keys, values, &done, &opts) == 0)
    return {count, {}};
  int err = errno;
  if (!(done == 0 && batch_unsupported(err)))
    return {done, Error::sys(std::string("batch update of ") + name_, err)};
  // No batches for this map type (or the first element is refused, which the element's
  // own update then says).
  for (uint32_t i = 0; i < count; ++i)
    if (auto st =
            update(keys + size_t{i} * key_size_, values + size_t{i} * value_size_, elem_flags);
        !st)
      return {i, st};
  return {count, {}};
}

BatchOutcome BpfMapRef::erase_batch(const uint8_t *keys, uint32_t count) const {
  uint32_t start = 0;
  while (start < count) {
    uint32_t done = count - start;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    if (bpf_map_delete_batch(fd_, keys + size_t{start} * key_size_, &done, &opts) == 0)
      return {count, {}};
    int err = errno;
    if (err == ENOENT) { // the batch stops at an absent key: step over it
      start += done + 1;
      continue;
    }
    if (done == 0 && batch_unsupported(err))
      break;
    return {start + done, Error::sys(std::string("batch delete from ") + name_, err)};
  }
  for (uint32_t i = start; i < count; ++i)
    if (auto st = erase(keys + size_t{i} * key_size_); !st)
      return {i, st};
  return {count, {}};
}

Status BpfMapRef::for_each(const std::function<void(const uint8_t *, const uint8_t *)> &fn) const {
  constexpr uint32_t kChunk = 4096;
  std::vector<uint8_t> keys(kChunk * key_size_), values(kChunk * value_size_);
  // The batch cursor is opaque and sized like a key for hash maps; 8 bytes suffice for
  // arrays. Give it room for either.
  std::vector<uint8_t> in_batch(std::max<size_t>(key_size_, 8)), out_batch(in_batch.size());
  bool first = true;
  for (;;) {
    uint32_t count = kChunk;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int rc = bpf_map_lookup_batch(fd_, first ? nullptr : in_batch.data(), out_batch.data(),
                                  keys.data(), values.data(), &count, &opts);
    int err = rc != 0 ? errno : 0;
    if (rc != 0 && err != ENOENT) {
      if (first && batch_unsupported(err))
        break; // no batch support: key by key below
      return Error::sys(std::string("batch lookup in ") + name_, err);
    }
    for (uint32_t i = 0; i < count; ++i)
      fn(&keys[i * key_size_], &values[i * value_size_]);
    if (err == ENOENT)
      return {};
    in_batch = out_batch;
    first = false;
  }

  std::vector<uint8_t> key(key_size_), next(key_size_), value(value_size_);
  bool have = false;
  for (;;) {
    if (bpf_map_get_next_key(fd_, have ? key.data() : nullptr, next.data()) != 0) {
      if (errno == ENOENT)
        return {};
      return Error::sys(std::string("iterate ") + name_);
    }
    if (bpf_map_lookup_elem(fd_, next.data(), value.data()) == 0)
      fn(next.data(), value.data());
    else if (errno != ENOENT)
      return Error::sys(std::string("lookup in ") + name_);
    key.swap(next);
    have = true;
  }
}

} // namespace mcf2b
