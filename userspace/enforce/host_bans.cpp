// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/host_bans.h"

#include <atomic>
#include <bit>
#include <cerrno>
#include <vector>

#include "userspace/enforce/shared_structs.h"

namespace mcf2b {
namespace {

const char *table_name(AddressFamily af) {
  return af == AddressFamily::v4 ? "ban_host4" : "ban_host6";
}

JailSlot lowest_jail(uint64_t jails) {
  return static_cast<JailSlot>(std::countr_zero(jails));
}

__u32 mcf2b_config::*buckets_field(AddressFamily af) {
  return af == AddressFamily::v4 ? &mcf2b_config::host_buckets4 : &mcf2b_config::host_buckets6;
}

} // namespace

HostBans::HostBans(Maps maps, uint32_t capacity, ConfigWord &config, MapFullCount &map_full)
    : maps_(std::move(maps)), config_(&config), map_full_(&map_full), capacity_(capacity),
      bloom_(std::make_unique<BloomCounts>(maps_.bloom.entries())) {}

Status HostBans::rebuild() {
  for (AddressFamily af : kAddressFamilies) {
    bool v4 = af == AddressFamily::v4;
    uint32_t buckets = config_->value().*buckets_field(af);
    auto table = maps_.fixed_tables[af]
                     ? GrowingHostTable::adopt_fixed(maps_.tables[af], v4, capacity_,
                                                     maps_.fixed_tables[af].get())
                     : GrowingHostTable::open(maps_.tables[af], v4, capacity_, buckets);
    if (!table)
      return table.error();
    tables_[af].emplace(std::move(*table));
    if (!maps_.fixed_tables[af])
      if (auto st = tables_[af]->shrink_to_fit(publish_buckets(af)); !st)
        return st;
    maps_.fixed_tables[af].reset();
    tables_[af]->table().for_each([&](const IpAddress &a, const mcf2b_host_value &hv) {
      for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot)
        counts_[af][kernel_slot] += (hv.jails >> kernel_slot) & 1;
      bloom_->add(a);
    });
  }
  // Make the kernel's Bloom words exactly what the tables need (a crash between two
  // writes could have left a word behind).
  for (uint32_t w = 0; w < bloom_->size(); ++w)
    if (bloom_words()[w] != bloom_->word(w))
      write_bloom_word(w);
  mcf2b_config &c = config_->edit();
  c.bloom_mask = bloom_->mask();
  for (AddressFamily af : kAddressFamilies)
    c.*buckets_field(af) = tables_[af]->buckets();
  return {};
}

// The program must see an address's Bloom bits before its table slot: the fence keeps
// this store ahead of the table's.
void HostBans::write_bloom_word(uint32_t word) const {
  std::atomic_ref<uint64_t>(bloom_words()[word])
      .store(bloom_->word(word), std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
}

uint64_t HostBans::jails_with_bans(AddressFamily af) const {
  return jails_counted(counts_[af]);
}

Result<uint64_t> HostBans::per_jail_expiry(const IpAddress &address, JailSlot kernel_slot) const {
  mcf2b_expiry e{};
  auto found =
      maps_.per_jail[address.family()].lookup(HostJailKey(address, kernel_slot).data(), &e);
  if (!found)
    return found.error();
  return *found ? e.expires_ns : uint64_t{0};
}

Result<uint64_t> HostBans::earliest_of(const IpAddress &address, uint64_t jails) const {
  uint64_t earliest = 0;
  for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot) {
    if (!(jails & jail_bit(kernel_slot)))
      continue;
    auto e = per_jail_expiry(address, kernel_slot);
    if (!e)
      return e.error();
    earliest = earlier_expiry(earliest, *e);
  }
  return earliest;
}

Result<uint64_t> HostBans::expiry_in(const IpAddress &address, const mcf2b_host_value &value,
                                     JailSlot kernel_slot) const {
  // Banned in one jail only: the earliest expiry is that jail's.
  if (std::has_single_bit(value.jails))
    return value.earliest_ns;
  return per_jail_expiry(address, kernel_slot);
}

Status HostBans::set_per_jail_expiry(const IpAddress &address, JailSlot kernel_slot,
                                     uint64_t expiry_ns) {
  const BpfMapRef &map = maps_.per_jail[address.family()];
  mcf2b_expiry e{expiry_ns};
  return map_full_->checked(map.update(HostJailKey(address, kernel_slot).data(), &e), map.name());
}

GrowingHostTable::PublishBuckets HostBans::publish_buckets(AddressFamily af) {
  return [this, af](uint32_t buckets) -> Status {
    uint32_t before = config_->value().*buckets_field(af);
    config_->edit().*buckets_field(af) = buckets;
    if (auto st = config_->write(); !st) {
      // Not published: later writes of the word must keep naming the table in use.
      config_->edit().*buckets_field(af) = before;
      return st;
    }
    return {};
  };
}

Status HostBans::reserve(const PerAddressFamily<uint64_t> &new_addresses) {
  for (AddressFamily af : kAddressFamilies) {
    GrowingHostTable &growing = *tables_[af];
    if (new_addresses[af] == 0)
      continue;
    if (auto st = growing.reserve(growing.table().size() + new_addresses[af], publish_buckets(af));
        !st)
      return st;
  }
  return {};
}

Status HostBans::insert(AddressFamily af, const IpAddress &address, const mcf2b_host_value &value) {
  GrowingHostTable &growing = *tables_[af];
  for (;;) {
    auto st = growing.table().insert(address, value);
    if (st || st.error().code != ENOSPC || !growing.can_grow())
      return st;
    // Full: switch to a table twice the size, then insert there.
    if (auto grown = growing.grow(publish_buckets(af)); !grown)
      return grown;
  }
}

Status HostBans::ban(const IpAddress &address, JailSlot kernel_slot, uint64_t expiry_ns) {
  AddressFamily af = address.family();
  HostTable &table = tables_[af]->table();
  auto found = table.find(address);
  if (auto st = config_->announce(ConfigWord::host_jails(af), kernel_slot); !st)
    return st;
  if (!found) {
    // Bloom bits first: the program must never see the entry without them. (insert()
    // may switch to a larger table: `table` is not used after it.)
    if (auto w = bloom_->add(address))
      write_bloom_word(*w);
    if (auto st = insert(af, address, mcf2b_host_value{jail_bit(kernel_slot), expiry_ns}); !st) {
      if (auto w = bloom_->remove(address))
        write_bloom_word(*w);
      if (st.error().code != ENOSPC)
        return st;
      return map_full_->refused(st.error(), table_name(af));
    }
    ++counts_[af][kernel_slot];
    return {};
  }
  mcf2b_host_value v = *found;
  if (v.jails == jail_bit(kernel_slot)) { // banned again in its only jail: new expiry
    v.earliest_ns = expiry_ns;
    table.update(address, v);
    return {};
  }
  // Two or more jails: each jail's expiry lives in the per-jail map.
  bool was_single = std::has_single_bit(v.jails);
  JailSlot other = lowest_jail(v.jails);
  if (was_single)
    if (auto st = set_per_jail_expiry(address, other, v.earliest_ns); !st)
      return st;
  if (auto st = set_per_jail_expiry(address, kernel_slot, expiry_ns); !st) {
    if (was_single)
      (void)maps_.per_jail[af].erase(HostJailKey(address, other).data());
    return st;
  }
  bool is_new = !(v.jails & jail_bit(kernel_slot));
  v.jails |= jail_bit(kernel_slot);
  auto earliest = earliest_of(address, v.jails);
  if (!earliest)
    return earliest.error();
  v.earliest_ns = *earliest;
  table.update(address, v);
  if (is_new)
    ++counts_[af][kernel_slot];
  return {};
}

Status HostBans::unban(const IpAddress &address, JailSlot kernel_slot) {
  AddressFamily af = address.family();
  HostTable &table = tables_[af]->table();
  auto found = table.find(address);
  if (!found || !(found->jails & jail_bit(kernel_slot)))
    return {};
  mcf2b_host_value v = *found;
  uint64_t rest = v.jails & ~jail_bit(kernel_slot);
  if (rest == 0) {
    table.erase(address);
    if (auto w = bloom_->remove(address))
      write_bloom_word(*w);
  } else if (std::has_single_bit(rest)) {
    // Back to one jail: its expiry moves into the table.
    JailSlot remaining = lowest_jail(rest);
    auto e = per_jail_expiry(address, remaining);
    if (!e)
      return e.error();
    table.update(address, mcf2b_host_value{rest, *e});
    if (auto st = maps_.per_jail[af].erase(HostJailKey(address, remaining).data()); !st)
      return st;
  } else {
    auto earliest = earliest_of(address, rest);
    if (!earliest)
      return earliest.error();
    table.update(address, mcf2b_host_value{rest, *earliest});
  }
  if (!std::has_single_bit(v.jails))
    if (auto st = maps_.per_jail[af].erase(HostJailKey(address, kernel_slot).data()); !st)
      return st;
  if (counts_[af][kernel_slot] > 0)
    --counts_[af][kernel_slot];
  return {};
}

Status HostBans::unban_all(JailSlot kernel_slot) {
  for (AddressFamily af : kAddressFamilies) {
    std::vector<IpAddress> banned;
    tables_[af]->table().for_each([&](const IpAddress &a, const mcf2b_host_value &hv) {
      if (hv.jails & jail_bit(kernel_slot))
        banned.push_back(a);
    });
    for (const auto &a : banned)
      if (auto st = unban(a, kernel_slot); !st)
        return st;
    counts_[af][kernel_slot] = 0;
  }
  return {};
}

Status HostBans::for_each_ban(AddressFamily af, JailSlot kernel_slot, const BanFn &fn) const {
  if (!counts_[af][kernel_slot])
    return {};
  std::vector<std::pair<IpAddress, mcf2b_host_value>> hits;
  tables_[af]->table().for_each([&](const IpAddress &a, const mcf2b_host_value &hv) {
    if (hv.jails & jail_bit(kernel_slot))
      hits.emplace_back(a, hv);
  });
  for (const auto &[a, hv] : hits) {
    auto e = expiry_in(a, hv, kernel_slot);
    if (!e)
      return e.error();
    fn(kernel_slot, a, *e);
  }
  return {};
}

Status HostBans::for_each_expired(AddressFamily af, uint64_t now_ns, uint64_t jails,
                                  const BanFn &fn) const {
  std::vector<std::pair<IpAddress, mcf2b_host_value>> due;
  tables_[af]->table().for_each([&](const IpAddress &a, const mcf2b_host_value &hv) {
    if (hv.earliest_ns != 0 && hv.earliest_ns <= now_ns)
      due.emplace_back(a, hv);
  });
  for (const auto &[a, hv] : due) {
    for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot) {
      if (!(hv.jails & jail_bit(kernel_slot) & jails))
        continue;
      auto e = expiry_in(a, hv, kernel_slot);
      if (!e)
        return e.error();
      if (*e != 0 && *e <= now_ns)
        fn(kernel_slot, a, *e);
    }
  }
  return {};
}

} // namespace mcf2b
