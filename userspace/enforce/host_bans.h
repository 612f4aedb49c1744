// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.h"
#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/enforce/address_family.h"
#include "userspace/enforce/bloom_words.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/config_word.h"
#include "userspace/enforce/growing_host_table.h"
#include "userspace/enforce/host_jail_expiries.h"
#include "userspace/enforce/host_table.h"
#include "userspace/enforce/mapped_bpf_array.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

// Exact-address bans, the filter's fast path: per address family a host table (two-choice
// cuckoo buckets, written through mmap, grown with the bans) holding each address's jail
// mask and earliest expiry, a blocked Bloom filter in front of the tables, and for an address
// banned in two or more jails each jail's own expiry in ban_hjail4 / ban_hjail6. Expiries are TAI
// nanoseconds, 0 = permanent.
//
// A batch of changes costs at most a few syscalls: the tables are written through mmap,
// this process keeps a copy of the per-jail maps (so it never reads them back), and
// their writes are gathered into one BPF_MAP_UPDATE_BATCH and one BPF_MAP_DELETE_BATCH
// per address family (per slice of kSlice changes, for a bulk batch). What the program sees stays
// right at each step: new per-jail expiries land before the table entries that refer to them, and
// the ones no longer referred to go after.
class HostBans {
public:
  struct Change {
    IpAddress address;
    JailSlot kernel_slot = 0;
    bool ban = true;
    uint64_t expiry_ns = 0; // for bans
  };
  // Changes that failed (index into the batch, error); index == the batch's size for an
  // error of no one change (a stale per-jail entry left behind: the bans are right).
  using Failures = std::vector<std::pair<size_t, Error>>;

  struct Maps {
    PerAddressFamily<BpfMapRef> tables;   // ban_host4 / ban_host6 (a table per size)
    MappedBpfArray bloom;                 // ban_bloom
    PerAddressFamily<BpfMapRef> per_jail; // ban_hjail4 / ban_hjail6
    // The fixed-size tables of an older build, whose bans the tables take over.
    PerAddressFamily<Fd> fixed_tables;
    // Where the table in use is pinned (host_table_pin()).
    PerAddressFamily<std::string> table_pins;
  };
  HostBans(Maps maps, uint32_t capacity, ConfigWord &config, MapFullCount &map_full);

  // Opens the tables in use (the config word's bucket counts; the config word read),
  // taking over the bans of an older build's fixed-size tables, reads the per-jail
  // expiries, derives the counts and the Bloom filter from the tables (a restart), makes
  // the kernel's Bloom words exactly what the tables need and fills in the config word's
  // table and Bloom sizes, unwritten.
  Status rebuild();

  // Before a batch holding `new_addresses` addresses not banned yet: grows the tables
  // once to hold them all.
  Status reserve(const PerAddressFamily<uint64_t> &new_addresses);
  [[nodiscard]] bool holds(const IpAddress &address) const {
    return tables_[address.family()]->table().find(address).has_value();
  }

  // A bulk batch (a start-up's reconcile, a million bans) goes in slices of this many
  // changes, one after the other: a slice's plans and the table buckets they read stay
  // in cache between planning and writing, and their memory is reused. Each slice costs
  // at most two batched commands per address family.
  static constexpr size_t kSlice = 512;

  // Applies the changes in order: banning again changes the expiry, unbanning what is not
  // banned is not an error. Changes of different addresses are independent: a failure
  // (a full map) fails exactly the changes it concerns.
  Failures apply(std::span<const Change> changes);
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
  struct Plan;
  // The address's bans, its table entry being `entry`: its jails with their expiries,
  // sorted by kernel slot.
  [[nodiscard]] std::vector<JailExpiry> bans_of(const IpAddress &address,
                                                const std::optional<mcf2b_host_value> &entry) const;
  // One plan per address, in the order of their first change.
  std::vector<Plan> plan(std::span<const Change> changes, std::span<const size_t> which) const;
  // Writes the plans' outcomes; a plan that fails is retried change by change unless
  // `final`, when its failure is its one change's.
  void run(std::vector<Plan> &plans, std::span<const Change> changes, bool final,
           Failures &failures);
  Status announce(std::span<const Plan> plans);
  void write_per_jail(AddressFamily af, std::vector<Plan> &plans);
  Status write_table(const Plan &plan, bool final);
  void drop_unreferenced(AddressFamily af, std::span<const Plan> plans, size_t batch_size,
                         Failures &failures);
  // The jail's expiry for an address banned in the jails of `value`.
  [[nodiscard]] uint64_t expiry_in(const IpAddress &address, const mcf2b_host_value &value,
                                   JailSlot kernel_slot) const;
  // Writes a host table's new bucket count into the config word, for a switch.
  GrowingHostTable::PublishBuckets publish_buckets(AddressFamily af);
  // Inserts a new address, growing the table when it is full.
  Status insert(AddressFamily af, const IpAddress &address, const mcf2b_host_value &value);
  // An address left the tables: its Bloom bits are cleared by a rebuild, now and then.
  void bloom_removed();
  void rebuild_bloom();

  Maps maps_;
  ConfigWord *config_;
  MapFullCount *map_full_;
  uint32_t capacity_;
  PerAddressFamily<std::optional<GrowingHostTable>> tables_;
  BloomWords bloom_; // in the kernel's ban_bloom words
  PerAddressFamily<std::array<uint64_t, kMaxJails>> counts_;
  PerAddressFamily<HostJailExpiries> per_jail_;
};

} // namespace mcf2b
