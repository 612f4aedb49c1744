// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/growing_host_table.h"

#include <linux/bpf.h>

#include <bpf/bpf.h>

#include <cstring>
#include <string>
#include <utility>

#include "mcf2b_shared.h"
#include "userspace/enforce/inner_map_pin.h"

namespace mcf2b {
namespace {

uint32_t slot_of(uint32_t buckets) {
  return mcf2b_host_table_slot(buckets);
}

uint32_t slots_per_bucket(bool v4) {
  return v4 ? MCF2B_HOST4_SLOTS : MCF2B_HOST6_SLOTS;
}

const char *map_name(bool v4) {
  return v4 ? "ban_host4" : "ban_host6";
}

} // namespace

GrowingHostTable::~GrowingHostTable() = default;

uint32_t GrowingHostTable::initial_buckets(bool v4, uint32_t capacity) {
  uint32_t buckets = HostTable::buckets_for(v4, capacity);
  while ((buckets >> 1) >= kInitialBuckets)
    buckets >>= 1;
  return buckets;
}

uint32_t GrowingHostTable::table_capacity(bool v4, uint32_t buckets, uint32_t capacity) {
  if (buckets >= HostTable::buckets_for(v4, capacity))
    return capacity;
  // The load HostTable::buckets_for sizes for: two thirds of the slots.
  return static_cast<uint32_t>(uint64_t{buckets} * slots_per_bucket(v4) * 2 / 3);
}

uint32_t GrowingHostTable::next_buckets(bool v4, uint32_t capacity, uint32_t now) {
  uint32_t full = HostTable::buckets_for(v4, capacity);
  // The smallest count of the sequence full >> k above the current one, in another slot.
  uint32_t next = full;
  while ((next >> 1) > now && slot_of(next >> 1) != slot_of(now))
    next >>= 1;
  return next > now && slot_of(next) != slot_of(now) ? next : 0;
}

Result<std::unique_ptr<GrowingHostTable::Mapped>>
GrowingHostTable::create(bool v4, uint32_t buckets, uint32_t capacity) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
  Fd map(bpf_map_create(BPF_MAP_TYPE_ARRAY, map_name(v4), sizeof(uint32_t), HostTable::kBucketSize,
                        buckets, &opts));
  if (!map)
    return Error::sys(std::string("create a host table of ") + std::to_string(buckets) +
                      " buckets for " + map_name(v4));
  return adopt(std::move(map), v4, capacity);
}

Result<std::unique_ptr<GrowingHostTable::Mapped>> GrowingHostTable::adopt(Fd map, bool v4,
                                                                          uint32_t capacity) {
  auto memory = MappedBpfArray::map(map.get(), map_name(v4));
  if (!memory)
    return memory.error();
  if (memory->value_size() != HostTable::kBucketSize)
    return Error::msg(std::string("a table of ") + map_name(v4) + " has buckets of " +
                      std::to_string(memory->value_size()) + " bytes (an incompatible build?)");
  auto out = std::make_unique<Mapped>();
  out->map = std::move(map);
  out->memory = std::move(*memory);
  uint32_t buckets = out->memory.entries();
  out->table.emplace(v4, out->memory.data(), buckets, table_capacity(v4, buckets, capacity));
  return out;
}

Status GrowingHostTable::place(const Mapped &table) const {
  uint32_t slot = slot_of(table.table->buckets());
  uint32_t fd = static_cast<uint32_t>(table.map.get());
  return tables_.update(&slot, &fd);
}

Status GrowingHostTable::remove_other_slots() const {
  uint32_t keep = slot_of(buckets());
  for (uint32_t slot = 0; slot < MCF2B_HOST_TABLE_SLOTS; ++slot) {
    if (slot == keep)
      continue;
    uint32_t id = 0;
    auto found = tables_.lookup(&slot, &id);
    if (!found)
      return found.error();
    if (*found)
      if (auto st = tables_.erase(&slot); !st)
        return st;
  }
  return {};
}

Status GrowingHostTable::pin_current() const {
  if (auto st = pin_map_at(current_->map.get(), pin_); !st)
    return st;
  return unpin_if_pinned(next_pin());
}

Result<GrowingHostTable> GrowingHostTable::open(BpfMapRef tables, std::string pin, bool v4,
                                                uint32_t capacity, uint32_t buckets) {
  GrowingHostTable out(tables, std::move(pin), v4, capacity);
  if (buckets != 0) {
    uint32_t slot = slot_of(buckets);
    uint32_t id = 0;
    auto found = tables.lookup(&slot, &id);
    if (!found)
      return found.error();
    if (*found) {
      // The pin of a switch interrupted after naming its table is PIN_next.
      auto map = open_inner_map({out.pin_, out.next_pin()}, id,
                                std::string("the host table in use of ") + map_name(v4));
      if (!map)
        return map.error();
      auto adopted = adopt(std::move(*map), v4, capacity);
      if (!adopted)
        return adopted.error();
      if ((*adopted)->table->buckets() == buckets)
        out.current_ = std::move(*adopted);
    }
  }
  if (!out.current_) {
    auto created = create(v4, initial_buckets(v4, capacity), capacity);
    if (!created)
      return created.error();
    out.current_ = std::move(*created);
    if (auto st = out.place(*out.current_); !st)
      return st.error();
  }
  if (auto st = out.remove_other_slots(); !st)
    return st.error();
  if (auto st = out.pin_current(); !st)
    return st.error();
  return out;
}

Result<GrowingHostTable> GrowingHostTable::adopt_fixed(BpfMapRef tables, std::string pin, bool v4,
                                                       uint32_t capacity, int fixed_fd) {
  auto fixed = MappedBpfArray::map(fixed_fd, map_name(v4));
  if (!fixed)
    return fixed.error();
  if (fixed->value_size() != HostTable::kBucketSize)
    return Error::msg(std::string("the fixed-size ") + map_name(v4) +
                      " pinned by an older build has buckets of " +
                      std::to_string(fixed->value_size()) + " bytes");
  auto created = create(v4, fixed->entries(), capacity);
  if (!created)
    return created.error();
  // Same bucket count, same layout: every address sits where it sat.
  std::memcpy((*created)->memory.data(), fixed->data(),
              size_t{fixed->entries()} * HostTable::kBucketSize);
  // The view counts the copied bans (and drops a duplicate an interrupted move left).
  (*created)->table.emplace(v4, (*created)->memory.data(), fixed->entries(),
                            table_capacity(v4, fixed->entries(), capacity));
  GrowingHostTable out(tables, std::move(pin), v4, capacity);
  out.current_ = std::move(*created);
  if (auto st = out.place(*out.current_); !st)
    return st.error();
  if (auto st = out.remove_other_slots(); !st)
    return st.error();
  if (auto st = out.pin_current(); !st)
    return st.error();
  return out;
}

Status GrowingHostTable::grow(const PublishBuckets &publish) {
  uint32_t buckets = next_buckets(v4_, capacity_, this->buckets());
  if (buckets == 0)
    return Error{std::string(map_name(v4_)) + " holds its capacity", ENOSPC};
  return switch_to(buckets, publish);
}

Status GrowingHostTable::reserve(uint64_t bans, const PublishBuckets &publish) {
  uint32_t now = buckets();
  uint32_t target = now;
  for (uint32_t next = next_buckets(v4_, capacity_, target);
       next != 0 && table_capacity(v4_, target, capacity_) < bans;
       next = next_buckets(v4_, capacity_, target))
    target = next;
  return target == now ? Status{} : switch_to(target, publish);
}

Status GrowingHostTable::shrink_to_fit(const PublishBuckets &publish) {
  uint32_t now = buckets();
  uint32_t fit = initial_buckets(v4_, capacity_);
  while (fit != 0 && fit < now && table_capacity(v4_, fit, capacity_) < 2 * table().size())
    fit = next_buckets(v4_, capacity_, fit);
  if (fit == 0 || fit >= now || slot_of(fit) == slot_of(now))
    return {};
  return switch_to(fit, publish);
}

Status GrowingHostTable::switch_to(uint32_t buckets, const PublishBuckets &publish) {
  auto next = create(v4_, buckets, capacity_);
  if (!next)
    return next.error();
  Status failed;
  current_->table->for_each([&](const IpAddress &address, const mcf2b_host_value &value) {
    if (failed)
      failed = (*next)->table->insert(address, value);
  });
  if (!failed)
    return failed.error().context(std::string("move the bans of ") + map_name(v4_) +
                                  " into a table of " + std::to_string(buckets) + " buckets");
  // Complete, then in its slot, then named: a program reads either count with its table.
  uint32_t old_slot = slot_of(current_->table->buckets());
  if (auto st = place(**next); !st)
    return st;
  // Pinned before it is named, so that a restart after the naming finds it (PIN_next).
  auto unplace = [&] {
    uint32_t slot = slot_of(buckets);
    (void)tables_.erase(&slot);
    (void)unpin_if_pinned(next_pin());
  };
  if (auto st = pin_map_at((*next)->map.get(), next_pin()); !st) {
    unplace();
    return st;
  }
  if (auto st = publish(buckets); !st) {
    unplace();
    return st;
  }
  // Named: from here on bans go into the new table, whatever fails next.
  std::swap(current_, *next);
  if (auto st = pin_current(); !st)
    return st;
  // The kernel waits for every program running when a map of maps is updated to finish
  // before the update returns (an RCU grace period): after placing the new table again,
  // no program still holds the old count, and the old table can go. (Left in its slot on
  // an error, it is removed at the next start.)
  if (auto st = place(*current_); !st)
    return st;
  return tables_.erase(&old_slot);
}

} // namespace mcf2b
