// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "base/fd.h"
#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/enforce/address_family.h"
#include "userspace/enforce/bloom_counts.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/config_word.h"
#include "userspace/enforce/growing_host_table.h"
#include "userspace/enforce/host_table.h"
#include "userspace/enforce/mapped_bpf_array.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

// Exact-address bans, the filter's fast path: per address family a host table (two-choice
// cuckoo buckets, written through mmap, grown with the bans) holding each address's jail
// mask and earliest
// expiry, a blocked Bloom filter in front of the tables, and for an address banned in
// two or more jails each jail's own expiry in ban_hjail4 / ban_hjail6. Expiries are TAI
// nanoseconds, 0 = permanent.
class HostBans {
public:
  struct Maps {
    PerAddressFamily<BpfMapRef> tables;   // ban_host4 / ban_host6 (a table per size)
    MappedBpfArray bloom;                 // ban_bloom
    PerAddressFamily<BpfMapRef> per_jail; // ban_hjail4 / ban_hjail6
    // The fixed-size tables of an older build, whose bans the tables take over.
    PerAddressFamily<Fd> fixed_tables;
  };
  HostBans(Maps maps, uint32_t capacity, ConfigWord &config, MapFullCount &map_full);

  // Opens the tables in use (the config word's bucket counts; the config word read),
  // taking over the bans of an older build's fixed-size tables, derives the counts and
  // the Bloom filter from them (a restart), makes the kernel's Bloom words exactly what
  // the tables need and fills in the config word's table and Bloom sizes, unwritten.
  Status rebuild();

  // Before a batch holding `new_addresses` addresses not banned yet: grows the tables
  // once to hold them all.
  Status reserve(const PerAddressFamily<uint64_t> &new_addresses);
  [[nodiscard]] bool holds(const IpAddress &address) const {
    return tables_[address.family()]->table().find(address).has_value();
  }

  Status ban(const IpAddress &address, JailSlot kernel_slot, uint64_t expiry_ns);
  // Not banned is not an error.
  Status unban(const IpAddress &address, JailSlot kernel_slot);
  // Every host ban of the jail, both address families.
  Status unban_all(JailSlot kernel_slot);

  [[nodiscard]] uint64_t count(AddressFamily af, JailSlot kernel_slot) const {
    return counts_[af][kernel_slot];
  }
  // Jails holding host bans of the address family, as a mask of kernel slots.
  [[nodiscard]] uint64_t jails_with_bans(AddressFamily af) const;

  using BanFn = std::function<void(JailSlot, const IpAddress &, uint64_t expiry_ns)>;
  // The jail's bans of one address family, each with the jail's own expiry.
  Status for_each_ban(AddressFamily af, JailSlot kernel_slot, const BanFn &fn) const;
  // Bans of one address family expired at `now_ns` in the jails of `jails`.
  Status for_each_expired(AddressFamily af, uint64_t now_ns, uint64_t jails, const BanFn &fn) const;

private:
  Result<uint64_t> per_jail_expiry(const IpAddress &address, JailSlot kernel_slot) const;
  Result<uint64_t> earliest_of(const IpAddress &address, uint64_t jails) const;
  // The jail's expiry for an address banned in the jails of `value`.
  Result<uint64_t> expiry_in(const IpAddress &address, const mcf2b_host_value &value,
                             JailSlot kernel_slot) const;
  // Writes a host table's new bucket count into the config word, for a switch.
  GrowingHostTable::PublishBuckets publish_buckets(AddressFamily af);
  // Inserts a new address, growing the table when it is full.
  Status insert(AddressFamily af, const IpAddress &address, const mcf2b_host_value &value);
  Status set_per_jail_expiry(const IpAddress &address, JailSlot kernel_slot, uint64_t expiry_ns);
  uint64_t *bloom_words() const { return reinterpret_cast<uint64_t *>(maps_.bloom.data()); }
  void write_bloom_word(uint32_t word) const;

  Maps maps_;
  ConfigWord *config_;
  MapFullCount *map_full_;
  uint32_t capacity_;
  PerAddressFamily<std::optional<GrowingHostTable>> tables_;
  std::unique_ptr<BloomCounts> bloom_;
  PerAddressFamily<std::array<uint64_t, kMaxJails>> counts_;
};

} // namespace mcf2b
