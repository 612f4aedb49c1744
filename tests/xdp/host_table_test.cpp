// SPDX-License-Identifier: GPL-2.0-only
// The host tables over plain memory: placement the program can follow, capacity, updates,
// removal, and reopening what an earlier writer left (no kernel needed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <unordered_map>
#include <vector>

#include "userspace/enforce/bloom_words.h"
#include "userspace/enforce/host_table.h"

using namespace mcf2b;

namespace {

// Buckets as the program gets them: 64-byte aligned, zeroed.
struct Memory {
  explicit Memory(uint32_t buckets) : words(size_t{buckets} * HostTable::kBucketSize / 8) {}
  std::vector<uint64_t> words;
  void *data() { return words.data(); }
};

// The program's lookup (bpf/ban_filter.bpf.h, host_find), on the shared structs.
std::optional<mcf2b_host_value> program_lookup(const void *memory, uint32_t buckets,
                                               const IpAddress &a) {
  uint64_t h = mcf2b_bucket_hash(BloomWords::hash(a));
  for (uint32_t idx : {mcf2b_bucket_index(static_cast<uint32_t>(h), buckets),
                       mcf2b_bucket_index(static_cast<uint32_t>(h >> 32), buckets)}) {
    if (a.is_v4()) {
      const auto *b = static_cast<const mcf2b_host4_bucket *>(memory) + idx;
      for (int s = 0; s < MCF2B_HOST4_SLOTS; ++s)
        if (std::memcmp(&b->addr[s], a.bytes().data(), 4) == 0 && b->value[s].jails)
          return b->value[s];
    } else {
      const auto *b = static_cast<const mcf2b_host6_bucket *>(memory) + idx;
      for (int s = 0; s < MCF2B_HOST6_SLOTS; ++s)
        if (std::memcmp(b->addr[s], a.bytes().data(), 16) == 0 && b->value[s].jails)
          return b->value[s];
    }
  }
  return std::nullopt;
}

IpAddress v6(uint64_t hi, uint64_t lo) {
  uint8_t b[16];
  std::memcpy(b, &hi, 8);
  std::memcpy(b + 8, &lo, 8);
  b[0] = 0x20; // 2001:db8::/32, never IPv4-mapped
  b[1] = 0x01;
  b[2] = 0x0d;
  b[3] = 0xb8;
  return IpAddress::v6_bytes(b);
}

void fill_to_capacity(bool v4) {
  constexpr uint32_t kCapacity = 50000;
  uint32_t buckets = HostTable::buckets_for(v4, kCapacity);
  Memory mem(buckets);
  HostTable table(v4, mem.data(), buckets, kCapacity);
  std::mt19937_64 rng(v4 ? 4 : 6);
  std::unordered_map<IpAddress, uint64_t> added;
  while (added.size() < kCapacity) {
    IpAddress a = v4 ? IpAddress::v4(static_cast<uint32_t>(rng())) : v6(rng(), rng());
    if (added.count(a))
      continue;
    uint64_t jails = (rng() & 0xffff) | 1;
    ASSERT_TRUE(table.insert(a, {jails, added.size()}).ok()) << a.to_string();
    added.emplace(a, jails);
  }
  EXPECT_EQ(table.size(), kCapacity);
  // Every address where the program looks, with its own value, after all the moves.
  for (const auto &[a, jails] : added) {
    auto v = program_lookup(mem.data(), buckets, a);
    ASSERT_TRUE(v.has_value()) << a.to_string();
    EXPECT_EQ(v->jails, jails);
    EXPECT_EQ(table.find(a)->jails, jails);
  }
  IpAddress extra = v4 ? IpAddress::v4(0xC0000201u) : v6(1, 2);
  auto full = table.insert(extra, {1, 0});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ENOSPC);
  EXPECT_FALSE(table.find(extra).has_value());
  size_t seen = 0;
  table.for_each([&](const IpAddress &a, const mcf2b_host_value &v) {
    ++seen;
    EXPECT_EQ(added.at(a), v.jails);
  });
  EXPECT_EQ(seen, kCapacity);
}

TEST(HostTable, Ipv4FillsToCapacityWhereTheProgramLooks) {
  fill_to_capacity(true);
}
TEST(HostTable, Ipv6FillsToCapacityWhereTheProgramLooks) {
  fill_to_capacity(false);
}

// What a concurrent reader finds after every single store, through inserts that move
// addresses to make room, updates and removals: every address not being changed is there
// with its value; one being updated is there with its old or new jails.
TEST(HostTable, AReaderFindsEveryOtherAddressAfterEachStore) {
  constexpr uint32_t kCapacity = 600;
  uint32_t buckets = HostTable::buckets_for(true, kCapacity);
  Memory mem(buckets);
  HostTable table(true, mem.data(), buckets, kCapacity);
  std::unordered_map<IpAddress, uint64_t> present; // address -> jails, none changing
  std::optional<IpAddress> changing;
  std::vector<IpAddress> removed; // the last ones, not banned again
  uint64_t checks = 0, moving_inserts = 0;
  table.set_store_observer([&] {
    ++checks;
    for (const auto &[a, jails] : present) {
      if (changing && a == *changing)
        continue;
      auto v = program_lookup(mem.data(), buckets, a);
      ASSERT_TRUE(v.has_value()) << a.to_string() << " vanished while another changed";
      ASSERT_EQ(v->jails, jails) << a.to_string();
    }
    // Nor does a removed address come back with the bans of the one taking its slot.
    for (const auto &a : removed)
      ASSERT_FALSE(program_lookup(mem.data(), buckets, a).has_value()) << a.to_string();
  });
  std::mt19937_64 rng(600);
  std::vector<IpAddress> order;
  for (int step = 0; step < 4000; ++step) {
    bool add = present.size() < kCapacity && (present.size() < kCapacity / 2 || rng() % 2);
    if (add) {
      IpAddress a = IpAddress::v4(0xC6120000u + static_cast<uint32_t>(rng() % 100000));
      if (present.count(a))
        continue;
      removed.erase(std::remove(removed.begin(), removed.end(), a), removed.end());
      uint64_t h = mcf2b_bucket_hash(BloomWords::hash(a));
      int used = 0;
      for (uint32_t b : {mcf2b_bucket_index(static_cast<uint32_t>(h), buckets),
                         mcf2b_bucket_index(static_cast<uint32_t>(h >> 32), buckets)})
        for (const auto &v : static_cast<const mcf2b_host4_bucket *>(mem.data())[b].value)
          used += v.jails != 0;
      moving_inserts += used == 2 * MCF2B_HOST4_SLOTS;
      changing = a;
      ASSERT_TRUE(table.insert(a, {1, 0}).ok());
      present.emplace(a, 1);
      order.push_back(a);
    } else {
      IpAddress a = order[rng() % order.size()];
      if (!present.count(a))
        continue;
      changing = a;
      if (rng() % 2) {
        // The reader may see the old or the new jails, never nothing.
        present.erase(a);
        ASSERT_TRUE(table.update(a, {3, 0}));
        EXPECT_TRUE(program_lookup(mem.data(), buckets, a).has_value());
        present.emplace(a, 3);
      } else {
        present.erase(a);
        ASSERT_TRUE(table.erase(a));
        removed.push_back(a);
        if (removed.size() > 50)
          removed.erase(removed.begin());
      }
    }
    changing.reset();
  }
  EXPECT_GT(checks, 1000u);
  EXPECT_GT(moving_inserts, 10u) << "the test must make inserts move addresses";
}

TEST(HostTable, UpdateEraseAndReinsert) {
  uint32_t buckets = HostTable::buckets_for(true, 100);
  Memory mem(buckets);
  HostTable table(true, mem.data(), buckets, 100);
  IpAddress a = IpAddress::parse("192.0.2.7").value();
  IpAddress b = IpAddress::parse("198.51.100.9").value();
  ASSERT_TRUE(table.insert(a, {1, 500}).ok());
  ASSERT_TRUE(table.insert(b, {2, 0}).ok());
  EXPECT_TRUE(table.update(a, {5, 300}));
  EXPECT_EQ(program_lookup(mem.data(), buckets, a)->jails, 5u);
  EXPECT_EQ(program_lookup(mem.data(), buckets, a)->earliest_ns, 300u);
  EXPECT_FALSE(table.update(IpAddress::parse("203.0.113.1").value(), {1, 0}));
  EXPECT_TRUE(table.erase(a));
  EXPECT_FALSE(table.erase(a));
  EXPECT_FALSE(program_lookup(mem.data(), buckets, a).has_value());
  EXPECT_FALSE(table.find(IpAddress::parse("2001:db8::1").value()).has_value());
  EXPECT_EQ(table.size(), 1u);
  ASSERT_TRUE(table.insert(a, {4, 0}).ok());
  EXPECT_EQ(table.find(a)->jails, 4u);
  EXPECT_EQ(table.size(), 2u);
}

// An address whose two buckets are one: when that bucket is full, room is made by moving
// its occupants to their other buckets.
TEST(HostTable, AnAddressWithOneBucketFindsRoomInAFullBucket) {
  uint32_t buckets = HostTable::buckets_for(true, 128);
  ASSERT_EQ(buckets, 64u);
  Memory mem(buckets);
  HostTable table(true, mem.data(), buckets, 128);
  auto buckets_of = [&](const IpAddress &a) {
    uint64_t h = mcf2b_bucket_hash(BloomWords::hash(a));
    return std::pair(mcf2b_bucket_index(static_cast<uint32_t>(h), buckets),
                     mcf2b_bucket_index(static_cast<uint32_t>(h >> 32), buckets));
  };
  std::optional<IpAddress> single;
  uint32_t i = 0;
  for (; !single; ++i) {
    IpAddress a = IpAddress::v4(0xC6120000u + i);
    if (auto [x, y] = buckets_of(a); x == y)
      single = a;
  }
  uint32_t home = buckets_of(*single).first;
  auto occupants = [&] {
    int n = 0;
    for (auto &v : static_cast<mcf2b_host4_bucket *>(mem.data())[home].value)
      n += v.jails != 0;
    return n;
  };
  std::vector<IpAddress> others;
  for (uint32_t j = i; occupants() < MCF2B_HOST4_SLOTS; ++j) {
    IpAddress a = IpAddress::v4(0xC6120000u + j);
    auto [x, y] = buckets_of(a);
    if ((x == home || y == home) && x != y) {
      ASSERT_TRUE(table.insert(a, {1, 0}).ok());
      others.push_back(a);
    }
  }
  ASSERT_TRUE(table.insert(*single, {2, 0}).ok());
  EXPECT_EQ(program_lookup(mem.data(), buckets, *single)->jails, 2u);
  for (const auto &a : others)
    EXPECT_TRUE(program_lookup(mem.data(), buckets, a).has_value()) << a.to_string();
}

TEST(HostTable, ReopeningCountsAndDropsADuplicateLeftByAnInterruptedMove) {
  uint32_t buckets = HostTable::buckets_for(true, 1000);
  Memory mem(buckets);
  IpAddress a = IpAddress::parse("192.0.2.77").value();
  {
    HostTable table(true, mem.data(), buckets, 1000);
    for (uint32_t i = 0; i < 500; ++i)
      ASSERT_TRUE(table.insert(IpAddress::v4(0xC6120000u + i), {1, 0}).ok());
    ASSERT_TRUE(table.insert(a, {2, 9}).ok());
  }
  // A move stopped after copying `a` into its other bucket, before freeing the old slot.
  uint64_t h = mcf2b_bucket_hash(BloomWords::hash(a));
  uint32_t b1 = mcf2b_bucket_index(static_cast<uint32_t>(h), buckets);
  uint32_t b2 = mcf2b_bucket_index(static_cast<uint32_t>(h >> 32), buckets);
  auto *bk = static_cast<mcf2b_host4_bucket *>(mem.data());
  int copies = 0;
  for (uint32_t b : {b1, b2})
    for (auto &v : bk[b].value)
      copies += v.jails == 2;
  ASSERT_EQ(copies, 1);
  ASSERT_NE(b1, b2) << "the test address needs two distinct buckets";
  bool in_b1 = false;
  for (auto &v : bk[b1].value)
    in_b1 |= v.jails == 2;
  uint32_t other = in_b1 ? b2 : b1;
  int free_slot = -1;
  for (int s = 0; s < MCF2B_HOST4_SLOTS; ++s)
    if (bk[other].value[s].jails == 0)
      free_slot = s;
  ASSERT_GE(free_slot, 0) << "the other bucket is full; the test needs another address";
  std::memcpy(&bk[other].addr[free_slot], a.bytes().data(), 4);
  bk[other].value[free_slot] = {2, 9};

  HostTable reopened(true, mem.data(), buckets, 1000);
  EXPECT_EQ(reopened.size(), 501u);
  EXPECT_TRUE(reopened.erase(a));
  EXPECT_FALSE(program_lookup(mem.data(), buckets, a).has_value());
}

} // namespace
