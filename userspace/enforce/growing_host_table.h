// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/fd.h"
#include "base/result.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/host_table.h"
#include "userspace/enforce/mapped_bpf_array.h"

namespace mcf2b {

// One address family's host table as the program finds it (ban_host4 / ban_host6: an
// array of maps, one slot per table size, the slot named by the config word's bucket
// count), sized for the bans it holds rather than for the capacity: it starts small
// and doubles when full. The kernel maps every page of an mmapable array, used or not,
// so a table sized for a million bans up front is 32 to 48 MiB resident at rest.
//
// Bucket counts are the full-capacity count halved k times (HostTable::buckets_for
// (capacity) >> k), so each doubling lands on the next one and the last holds the
// capacity. A switch never lets a banned source through: the larger table is filled
// completely, put in its own slot, and only then named by the config word; the old one
// is removed once no running program can still hold the old count. Bans are made by the
// same thread that grows, so none arrives during the rehash.
class GrowingHostTable {
public:
  // Publishes a new bucket count to the program (the config word) before returning.
  using PublishBuckets = std::function<Status(uint32_t buckets)>;

  // The smallest table: the full-capacity count halved while it stays at or above this.
  static constexpr uint32_t kInitialBuckets = 1024;

  // Adopts the table in the slot of `buckets` (the pinned config word's count) when it
  // holds a table of that count; else creates the initial table in its slot, for the
  // caller to publish (buckets()). Removes the tables of other slots, left by a switch
  // that was interrupted.
  // `pin` is where the table in use is pinned (inner_map_pin.h; PIN + "_next" during a
  // switch).
  static Result<GrowingHostTable> open(BpfMapRef tables, std::string pin, bool v4,
                                       uint32_t capacity, uint32_t buckets);
  // The upgrade from a build whose table had a fixed size (`fixed_fd`, still read by that
  // build's program with the count in the config word): a table of the same bucket
  // count, so that count stays right for both programs, holding a copy of its bans.
  static Result<GrowingHostTable> adopt_fixed(BpfMapRef tables, std::string pin, bool v4,
                                              uint32_t capacity, int fixed_fd);

  GrowingHostTable(GrowingHostTable &&) noexcept = default;
  GrowingHostTable &operator=(GrowingHostTable &&) noexcept = default;
  ~GrowingHostTable();

  [[nodiscard]] HostTable &table() { return *current_->table; }
  [[nodiscard]] const HostTable &table() const { return *current_->table; }
  [[nodiscard]] uint32_t buckets() const { return current_->table->buckets(); }
  // Whether a larger table may still be built (the capacity is not reached yet).
  [[nodiscard]] bool can_grow() const { return next_buckets(v4_, capacity_, buckets()) != 0; }

  // Builds the next larger table, moves every ban into it and switches the program to it.
  // On an error before the switch the current table stays in use, unchanged.
  Status grow(const PublishBuckets &publish);
  // Before a batch: switches at once to the table that takes `bans` bans in all (at most
  // the capacity's), so a bulk load moves the bans held once rather than at each doubling.
  Status reserve(uint64_t bans, const PublishBuckets &publish);
  // At a start: switches to the smallest table that holds the bans at half its load
  // limit when that is smaller than the one in use (the full-size table taken over from
  // an older build, or one whose bans have expired). Only while every program that may
  // read the tables is of this build: not on the start that took over fixed tables,
  // whose program still reads the count in the config word until it is replaced.
  Status shrink_to_fit(const PublishBuckets &publish);

  // Buckets of each table size, for a capacity; and the bans a table of `buckets` takes
  // before it grows.
  static uint32_t initial_buckets(bool v4, uint32_t capacity);
  static uint32_t table_capacity(bool v4, uint32_t buckets, uint32_t capacity);

private:
  // A table this process created or adopted: its map, mapped, and the view over it.
  struct Mapped {
    Fd map;
    MappedBpfArray memory;
    std::optional<HostTable> table;
  };

  GrowingHostTable(BpfMapRef tables, std::string pin, bool v4, uint32_t capacity)
      : tables_(tables), pin_(std::move(pin)), v4_(v4), capacity_(capacity) {}
  static Result<std::unique_ptr<Mapped>> create(bool v4, uint32_t buckets, uint32_t capacity);
  static Result<std::unique_ptr<Mapped>> adopt(Fd map, bool v4, uint32_t capacity);
  // The next larger bucket count after `buckets` in another slot, 0 at the full capacity.
  static uint32_t next_buckets(bool v4, uint32_t capacity, uint32_t buckets);
  // Moves every ban into a new table of `buckets` and switches the program to it.
  Status switch_to(uint32_t buckets, const PublishBuckets &publish);
  Status place(const Mapped &table) const;
  Status remove_other_slots() const;
  // Pins the table in use at pin_ and drops a switch's pin_ + "_next".
  Status pin_current() const;
  [[nodiscard]] std::string next_pin() const { return pin_ + "_next"; }

  BpfMapRef tables_;
  std::string pin_;
  bool v4_;
  uint32_t capacity_;
  std::unique_ptr<Mapped> current_;
};

} // namespace mcf2b
