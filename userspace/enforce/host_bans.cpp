// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/host_bans.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <unordered_map>
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
      bloom_(reinterpret_cast<uint64_t *>(maps_.bloom.data()), maps_.bloom.entries()) {}

Status HostBans::rebuild() {
  for (AddressFamily af : kAddressFamilies) {
    bool v4 = af == AddressFamily::v4;
    uint32_t buckets = config_->value().*buckets_field(af);
    auto table = maps_.fixed_tables[af]
                     ? GrowingHostTable::adopt_fixed(maps_.tables[af], maps_.table_pins[af], v4,
                                                     capacity_, maps_.fixed_tables[af].get())
                     : GrowingHostTable::open(maps_.tables[af], maps_.table_pins[af], v4, capacity_,
                                              buckets);
    if (!table)
      return table.error();
    tables_[af].emplace(std::move(*table));
    if (!maps_.fixed_tables[af])
      if (auto st = tables_[af]->shrink_to_fit(publish_buckets(af)); !st)
        return st;
    maps_.fixed_tables[af].reset();
    if (auto st = per_jail_[af].load(maps_.per_jail[af], af); !st)
      return st;
    tables_[af]->table().for_each([&](const IpAddress &, const mcf2b_host_value &hv) {
      for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot)
        counts_[af][kernel_slot] += (hv.jails >> kernel_slot) & 1;
    });
  }
  // Make the kernel's Bloom words exactly what the tables need (a crash between two
  // writes could have left a word behind; unbans leave their bits).
  rebuild_bloom();
  mcf2b_config &c = config_->edit();
  c.bloom_mask = bloom_.mask();
  for (AddressFamily af : kAddressFamilies)
    c.*buckets_field(af) = tables_[af]->buckets();
  return {};
}

void HostBans::rebuild_bloom() {
  bloom_.rebuild([&](const std::function<void(const IpAddress &)> &each) {
    for (AddressFamily af : kAddressFamilies)
      if (tables_[af])
        tables_[af]->table().for_each(
            [&](const IpAddress &a, const mcf2b_host_value &) { each(a); });
  });
}

void HostBans::bloom_removed() {
  size_t left = 0;
  for (AddressFamily af : kAddressFamilies)
    if (tables_[af])
      left += tables_[af]->table().size();
  if (bloom_.removed(left))
    rebuild_bloom();
}

uint64_t HostBans::jails_with_bans(AddressFamily af) const {
  return jails_counted(counts_[af]);
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

// The batch's work for one address: where its changes leave it.
struct HostBans::Plan {
  IpAddress address;
  // Its table entry when planned: only the plan itself changes it meanwhile.
  std::optional<mcf2b_host_value> entry;
  std::vector<size_t> changes;   // indices into the batch, in order
  std::vector<JailExpiry> after; // its jails once the changes are made, by kernel slot
  std::optional<Error> failure;
};

std::vector<JailExpiry> HostBans::bans_of(const IpAddress &address,
                                          const std::optional<mcf2b_host_value> &found) const {
  if (!found)
    return {};
  if (std::has_single_bit(found->jails))
    return {JailExpiry{lowest_jail(found->jails), found->earliest_ns}};
  std::vector<JailExpiry> out;
  for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot)
    if (found->jails & jail_bit(kernel_slot))
      out.push_back({kernel_slot, expiry_in(address, *found, kernel_slot)});
  return out;
}

std::vector<HostBans::Plan> HostBans::plan(std::span<const Change> changes,
                                           std::span<const size_t> which) const {
  std::vector<Plan> plans;
  plans.reserve(which.size());
  std::unordered_map<IpAddress, size_t> plan_of;
  plan_of.reserve(which.size());
  for (size_t i : which) {
    const Change &c = changes[i];
    auto [at, fresh] = plan_of.try_emplace(c.address, plans.size());
    if (fresh) {
      auto entry = tables_[c.address.family()]->table().find(c.address);
      plans.push_back(Plan{c.address, entry, {}, bans_of(c.address, entry), std::nullopt});
    }
    Plan &p = plans[at->second];
    p.changes.push_back(i);
    auto it = std::lower_bound(
        p.after.begin(), p.after.end(), c.kernel_slot,
        [](const JailExpiry &e, JailSlot kernel_slot) { return e.kernel_slot < kernel_slot; });
    bool held = it != p.after.end() && it->kernel_slot == c.kernel_slot;
    if (c.ban && held)
      it->expiry_ns = c.expiry_ns;
    else if (c.ban)
      p.after.insert(it, JailExpiry{c.kernel_slot, c.expiry_ns});
    else if (held)
      p.after.erase(it);
  }
  return plans;
}

HostBans::Failures HostBans::apply(std::span<const Change> changes) {
  Failures failures;
  std::vector<size_t> which;
  for (size_t start = 0; start < changes.size(); start += kSlice) {
    which.resize(std::min(kSlice, changes.size() - start));
    for (size_t i = 0; i < which.size(); ++i)
      which[i] = start + i;
    auto plans = plan(changes, which);
    run(plans, changes, false, failures);
  }
  std::stable_sort(failures.begin(), failures.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  return failures;
}

void HostBans::run(std::vector<Plan> &plans, std::span<const Change> changes, bool final,
                   Failures &failures) {
  if (auto st = announce(plans); !st) {
    for (const Plan &p : plans)
      for (size_t i : p.changes)
        failures.emplace_back(i, st.error());
    return;
  }
  for (AddressFamily af : kAddressFamilies)
    write_per_jail(af, plans);
  for (Plan &p : plans)
    if (!p.failure)
      if (auto st = write_table(p, final || p.changes.size() == 1); !st)
        p.failure = st.error();
  for (AddressFamily af : kAddressFamilies)
    drop_unreferenced(af, plans, changes.size(), failures);
  for (const Plan &p : plans) {
    if (!p.failure)
      continue;
    if (final || p.changes.size() == 1) {
      failures.emplace_back(p.changes.front(), *p.failure);
      continue;
    }
    // Which of the address's changes failed: each again on its own, in order.
    for (size_t i : p.changes) {
      auto one = plan(changes, std::span<const size_t>(&i, 1));
      run(one, changes, true, failures);
    }
  }
}

// The jails' bits in the config word's host masks before their first entries are
// written, so the program looks at once: one write for the batch, when a bit is new.
Status HostBans::announce(std::span<const Plan> plans) {
  PerAddressFamily<uint64_t> jails;
  for (const Plan &p : plans)
    for (const JailExpiry &e : p.after)
      jails[p.address.family()] |= jail_bit(e.kernel_slot);
  mcf2b_config &c = config_->edit();
  bool changed = false;
  for (AddressFamily af : kAddressFamilies) {
    __u64 mcf2b_config::*mask = ConfigWord::host_jails(af);
    if ((c.*mask & jails[af]) != jails[af]) {
      c.*mask |= jails[af];
      changed = true;
    }
  }
  return changed ? config_->write() : Status{};
}

// Every per-jail expiry the plans of the address family need that the map does not hold
// yet, in one batch. A failure fails the plan it belongs to; the batch goes on with the
// next plan.
void HostBans::write_per_jail(AddressFamily af, std::vector<Plan> &plans) {
  const BpfMapRef &map = maps_.per_jail[af];
  HostJailExpiries &held = per_jail_[af];
  HostJailBatch batch(map);
  std::vector<size_t> owner;
  for (size_t p = 0; p < plans.size(); ++p) {
    const Plan &plan = plans[p];
    if (plan.address.family() != af || plan.after.size() < 2)
      continue;
    for (const JailExpiry &e : plan.after)
      if (held.find(plan.address, e.kernel_slot) != e.expiry_ns) {
        batch.add(plan.address, e.kernel_slot, e.expiry_ns);
        owner.push_back(p);
      }
  }
  uint32_t at = 0;
  while (at < batch.size()) {
    auto out = batch.update_from(at);
    for (uint32_t i = at; i < out.done; ++i)
      held.set(batch.address(i), batch.entry(i).kernel_slot, batch.entry(i).expiry_ns);
    if (out.status)
      return;
    Plan &failed = plans[owner[out.done]];
    failed.failure = failed.changes.size() == 1 ? map_full_->checked(out.status, map.name()).error()
                                                : out.status.error();
    at = out.done;
    while (at < batch.size() && owner[at] == owner[out.done])
      ++at;
  }
}

// The address's table entry as the plan leaves it; a full table is the plan's failure,
// counted when `final`.
Status HostBans::write_table(const Plan &plan, bool final) {
  const IpAddress &address = plan.address;
  AddressFamily af = address.family();
  const auto &found = plan.entry;
  uint64_t before = found ? found->jails : 0;
  mcf2b_host_value v{0, 0};
  for (const JailExpiry &e : plan.after) {
    v.jails |= jail_bit(e.kernel_slot);
    v.earliest_ns = earlier_expiry(v.earliest_ns, e.expiry_ns);
  }
  if (v.jails == 0) {
    if (!found)
      return {};
    tables_[af]->table().erase(address);
    bloom_removed();
  } else if (!found) {
    // Bloom bits first: the program must never see the entry without them. (insert()
    // may switch to a larger table: the table is looked up again after it.)
    bloom_.add(address);
    if (auto st = insert(af, address, v); !st) {
      bloom_removed();
      // A full table that cannot grow is a refused ban, counted once (when `final`); a
      // switch that failed is an error of its own.
      bool full = st.error().code == ENOSPC;
      return full && final ? map_full_->refused(st.error(), table_name(af)) : st.error();
    }
  } else if (found->jails != v.jails || found->earliest_ns != v.earliest_ns) {
    tables_[af]->table().update(address, v);
  }
  for (uint64_t changed = before ^ v.jails; changed; changed &= changed - 1) {
    JailSlot kernel_slot = lowest_jail(changed);
    if (v.jails & jail_bit(kernel_slot))
      ++counts_[af][kernel_slot];
    else if (counts_[af][kernel_slot] > 0)
      --counts_[af][kernel_slot];
  }
  return {};
}

// Deletes the per-jail expiries of the plans' addresses that their table entries no
// longer refer to (an address down to one jail keeps its expiry in the table), in one
// batch, after the tables are written. One that cannot go stays, in the map and in the
// copy: it is stale but harmless, and goes at a later change of its address.
void HostBans::drop_unreferenced(AddressFamily af, std::span<const Plan> plans, size_t batch_size,
                                 Failures &failures) {
  HostJailExpiries &held = per_jail_[af];
  HostJailBatch batch(maps_.per_jail[af]);
  for (const Plan &p : plans) {
    auto entries = p.address.family() == af ? held.of(p.address) : std::span<const JailExpiry>();
    if (entries.empty())
      continue;
    auto found = tables_[af]->table().find(p.address);
    uint64_t referred = found && !std::has_single_bit(found->jails) ? found->jails : 0;
    for (const JailExpiry &e : entries)
      if (!(referred & jail_bit(e.kernel_slot)))
        batch.add(p.address, e.kernel_slot);
  }
  uint32_t at = 0;
  while (at < batch.size()) {
    auto out = batch.erase_from(at);
    for (uint32_t i = at; i < out.done; ++i)
      held.erase(batch.address(i), batch.entry(i).kernel_slot);
    if (out.status)
      return;
    failures.emplace_back(batch_size, out.status.error());
    at = out.done + 1;
  }
}

uint64_t HostBans::expiry_in(const IpAddress &address, const mcf2b_host_value &value,
                             JailSlot kernel_slot) const {
  // Banned in one jail only: the earliest expiry is that jail's.
  if (std::has_single_bit(value.jails))
    return value.earliest_ns;
  return per_jail_[address.family()].find(address, kernel_slot).value_or(0);
}

Status HostBans::unban_all(JailSlot kernel_slot) {
  std::vector<Change> changes;
  for (AddressFamily af : kAddressFamilies)
    tables_[af]->table().for_each([&](const IpAddress &a, const mcf2b_host_value &hv) {
      if (hv.jails & jail_bit(kernel_slot))
        changes.push_back(Change{a, kernel_slot, false, 0});
    });
  auto failures = apply(changes);
  if (!failures.empty())
    return failures.front().second;
  for (AddressFamily af : kAddressFamilies)
    counts_[af][kernel_slot] = 0;
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
  for (const auto &[a, hv] : hits)
    fn(kernel_slot, a, expiry_in(a, hv, kernel_slot));
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
      uint64_t e = expiry_in(a, hv, kernel_slot);
      if (e != 0 && e <= now_ns)
        fn(kernel_slot, a, e);
    }
  }
  return {};
}

} // namespace mcf2b
