// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace mcf2b {

// What a batched map command did: the first `done` elements took effect; when `status`
// is an error, element `done` is the one that failed and the rest were not attempted.
struct BatchOutcome {
  uint32_t done = 0;
  Status status;
};

// Byte-level access to a BPF map by fd, errors as values with the map's name in them.
class BpfMapRef {
public:
  BpfMapRef() = default;
  BpfMapRef(int fd, const char *name, size_t key_size, size_t value_size)
      : fd_(fd), name_(name), key_size_(key_size), value_size_(value_size) {}

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const char *name() const { return name_; }

  // false when the key is absent; an Error for anything else.
  Result<bool> lookup(const void *key, void *value) const;
  Status update(const void *key, const void *value, uint64_t flags = 0) const;
  // Deleting an absent key is not an error.
  Status erase(const void *key) const;

  // `count` keys and values, packed (key_size() / value_size() bytes each), written in
  // order with one syscall (BPF_MAP_UPDATE_BATCH), or element by element where the map
  // type has no batches. Stops at the first failure.
  BatchOutcome update_batch(const uint8_t *keys, const uint8_t *values, uint32_t count,
                            uint64_t elem_flags = 0) const;
  // `count` packed keys deleted in order with one syscall (BPF_MAP_DELETE_BATCH) where
  // the map type has batches. An absent key is not an error; stops at the first failure.
  BatchOutcome erase_batch(const uint8_t *keys, uint32_t count) const;

  // Calls `fn(key, value)` for every entry. Batched (BPF_MAP_LOOKUP_BATCH) where the map
  // supports it, else key by key. Entries changed meanwhile may be seen or not.
  Status for_each(const std::function<void(const uint8_t *, const uint8_t *)> &fn) const;

  [[nodiscard]] size_t key_size() const { return key_size_; }
  [[nodiscard]] size_t value_size() const { return value_size_; }

private:
  int fd_ = -1;
  const char *name_ = "";
  size_t key_size_ = 0, value_size_ = 0;
};

// Whether a failed batch command (errno `err`) means "no batches for this map type".
bool batch_unsupported(int err);

// Whether a failed map update means "the map is full".
inline bool is_map_full(const Error &e) { return e.code == E2BIG || e.code == ENOSPC; }

} // namespace mcf2b
