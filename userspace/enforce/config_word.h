// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>

#include "base/result.h"
#include "mcf2b_shared.h"
#include "userspace/enforce/address_family.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

// The ban filter's config word (map `config`, one mcf2b_config): which kernel slots are
// in use, which jails hold bans of each kind and address family, the sizes of the host
// tables and the Bloom filter. The program reads it for every packet; this process is
// its only writer and keeps the copy it last wrote.
class ConfigWord {
public:
  ConfigWord() = default;
  explicit ConfigWord(BpfMapRef map) : map_(map) {}

  // Reads the pinned word back (a restart).
  Status read();
  Status write() const;

  [[nodiscard]] const mcf2b_config &value() const { return value_; }
  // For changes that write() then publishes.
  mcf2b_config &edit() { return value_; }

  // The masks of jails holding host bans / real prefixes of an address family.
  static __u64 mcf2b_config::*host_jails(AddressFamily af);
  static __u64 mcf2b_config::*prefix_jails(AddressFamily af);

  // Sets a jail's bit in `mask` before its first entry of that kind is written, so the
  // program looks at once.
  Status announce(__u64 mcf2b_config::*mask, JailSlot kernel_slot);
  // Sets the host and prefix masks to the jails that hold bans; writes when they changed.
  Status set_ban_masks(const PerAddressFamily<uint64_t> &host_jails,
                       const PerAddressFamily<uint64_t> &prefix_jails);

private:
  BpfMapRef map_;
  mcf2b_config value_{};
};

// Bans refused because a map was full: counted (the counters report them) and said with
// the capacity, whichever map refused.
class MapFullCount {
public:
  void set_capacity(uint32_t capacity) { capacity_ = capacity; }
  [[nodiscard]] uint64_t count() const { return count_; }
  // Counts the refusal; the error names `what` and the capacity, and keeps the code.
  Error refused(const Error &e, const std::string &what);
  // `st` as is, or counted and reworded when it says that the map is full.
  Status checked(Status st, const std::string &what);

private:
  uint32_t capacity_ = 0;
  uint64_t count_ = 0;
};

} // namespace mcf2b
