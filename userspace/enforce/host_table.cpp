// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/host_table.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "userspace/enforce/bloom_words.h"

namespace mcf2b {

static_assert(sizeof(mcf2b_host4_bucket) == HostTable::kBucketSize);
static_assert(sizeof(mcf2b_host6_bucket) == HostTable::kBucketSize);
static_assert(offsetof(mcf2b_host4_bucket, value) == 16);
static_assert(offsetof(mcf2b_host6_bucket, value) == 32);

namespace {

// Stores the program may observe: whole words, never torn, and kept in program order
// (x86 keeps stores in order; the fences keep the compiler, and weaker CPUs, from
// reordering them).
void store64(uint8_t *p, uint64_t v) {
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t *>(p)).store(v, std::memory_order_relaxed);
}
void store32(uint8_t *p, uint32_t v) {
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t *>(p)).store(v, std::memory_order_relaxed);
}
void fence() {
  std::atomic_thread_fence(std::memory_order_release);
}

uint64_t load64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

constexpr uint32_t kMinBuckets = 64;
constexpr size_t kMaxSearch = 4096; // bucket slots looked at to make room

} // namespace

uint32_t HostTable::buckets_for(bool v4, uint32_t capacity) {
  uint32_t slots = v4 ? MCF2B_HOST4_SLOTS : MCF2B_HOST6_SLOTS;
  uint64_t buckets = (uint64_t{capacity} * 3 + uint64_t{slots} * 2 - 1) / (uint64_t{slots} * 2);
  return static_cast<uint32_t>(std::max<uint64_t>(buckets, kMinBuckets));
}

HostTable::HostTable(bool v4, void *memory, uint32_t buckets, uint32_t capacity)
    : v4_(v4), base_(static_cast<uint8_t *>(memory)), buckets_(buckets), capacity_(capacity),
      slots_(v4 ? MCF2B_HOST4_SLOTS : MCF2B_HOST6_SLOTS), addr_size_(v4 ? 4 : 16),
      value_offset_(static_cast<uint32_t>(v4 ? offsetof(mcf2b_host4_bucket, value)
                                             : offsetof(mcf2b_host6_bucket, value))) {
  if (buckets == 0 || reinterpret_cast<uintptr_t>(memory) % 8 != 0)
    throw std::invalid_argument("HostTable: no buckets or misaligned memory");
  // A writer stopped in the middle of a move leaves an address in both its buckets:
  // keep the first, which is the one lookups find.
  for (uint32_t b = 0; b < buckets_; ++b) {
    for (uint32_t s = 0; s < slots_; ++s) {
      if (jails_at({b, s}) == 0)
        continue;
      auto first = locate(addr_at({b, s}));
      if (first && (first->bucket != b || first->slot != s))
        release({b, s});
      else
        ++size_;
    }
  }
}

uint64_t HostTable::jails_at(Place p) const {
  return load64(value_at(p));
}

mcf2b_host_value HostTable::value_of(Place p) const {
  mcf2b_host_value v;
  std::memcpy(&v, value_at(p), sizeof(v));
  return v;
}

std::pair<uint32_t, uint32_t> HostTable::buckets_of(const uint8_t *addr) const {
  uint64_t h = mcf2b_bucket_hash(BloomWords::hash(address_of(addr)));
  return {mcf2b_bucket_index(static_cast<uint32_t>(h), buckets_),
          mcf2b_bucket_index(static_cast<uint32_t>(h >> 32), buckets_)};
}

IpAddress HostTable::address_of(const uint8_t *addr) const {
  return v4_ ? IpAddress::v4_bytes(addr) : IpAddress::v6_bytes(addr);
}

std::optional<HostTable::Place> HostTable::locate(const uint8_t *addr) const {
  auto [b1, b2] = buckets_of(addr);
  for (uint32_t b : {b1, b2})
    for (uint32_t s = 0; s < slots_; ++s)
      if (jails_at({b, s}) != 0 && std::memcmp(addr_at({b, s}), addr, addr_size_) == 0)
        return Place{b, s};
  return std::nullopt;
}

std::optional<uint32_t> HostTable::free_slot(uint32_t b) const {
  for (uint32_t s = 0; s < slots_; ++s)
    if (jails_at({b, s}) == 0)
      return s;
  return std::nullopt;
}

uint32_t HostTable::free_slots(uint32_t b) const {
  uint32_t n = 0;
  for (uint32_t s = 0; s < slots_; ++s)
    n += jails_at({b, s}) == 0;
  return n;
}

void HostTable::observed() const {
  if (observer_)
    observer_();
}

void HostTable::publish(Place p, const uint8_t *addr, const mcf2b_host_value &value) {
  uint8_t *a = addr_at(p);
  if (v4_) {
    uint32_t x;
    std::memcpy(&x, addr, 4);
    store32(a, x);
  } else {
    store64(a, load64(addr));
    store64(a + 8, load64(addr + 8));
  }
  observed();
  store64(value_at(p) + 8, value.earliest_ns);
  observed();
  fence();
  store64(value_at(p), value.jails);
  fence();
  observed();
}

void HostTable::release(Place p) {
  store64(value_at(p), 0);
  observed();
  fence();
  store64(value_at(p) + 8, 0);
  observed();
}

std::optional<mcf2b_host_value> HostTable::find(const IpAddress &address) const {
  if (address.is_v4() != v4_)
    return std::nullopt;
  if (auto p = locate(address.bytes().data()))
    return value_of(*p);
  return std::nullopt;
}

Status HostTable::insert(const IpAddress &address, const mcf2b_host_value &value) {
  if (address.is_v4() != v4_ || value.jails == 0)
    throw std::invalid_argument("HostTable::insert: wrong address family or no jail");
  if (size_ >= capacity_)
    return Error{"every address in use", ENOSPC};
  const uint8_t *addr = address.bytes().data();
  auto [b1, b2] = buckets_of(addr);
  // The emptier of the two buckets keeps the load even, and room for later moves.
  uint32_t b = free_slots(b2) > free_slots(b1) ? b2 : b1;
  std::optional<Place> place;
  if (auto s = free_slot(b))
    place = Place{b, *s};
  else
    place = make_room(b1, b2);
  if (!place)
    return Error{"no free slot within reach of " + address.to_string(), ENOSPC};
  publish(*place, addr, value);
  ++size_;
  return {};
}

// Breadth-first search from the slots of b1 and b2 for a chain of addresses, each
// movable into its other bucket, ending at a free slot; then moves them from the end of
// the chain backwards, so every address stays findable throughout.
std::optional<HostTable::Place> HostTable::make_room(uint32_t b1, uint32_t b2) {
  struct Node {
    Place at;
    size_t parent; // index into nodes, or npos for a start slot
  };
  constexpr size_t npos = static_cast<size_t>(-1);
  std::vector<Node> nodes;
  std::vector<uint32_t> seen = {b1, b2};
  for (uint32_t s = 0; s < slots_; ++s)
    nodes.push_back({{b1, s}, npos});
  if (b2 != b1)
    for (uint32_t s = 0; s < slots_; ++s)
      nodes.push_back({{b2, s}, npos});
  for (size_t i = 0; i < nodes.size() && nodes.size() < kMaxSearch; ++i) {
    Place at = nodes[i].at;
    auto [x, y] = buckets_of(addr_at(at));
    uint32_t other = x == at.bucket ? y : x;
    if (other == at.bucket)
      continue;
    if (auto s = free_slot(other)) {
      // Move along the chain: the deepest address first, into the free slot.
      Place to{other, *s};
      for (size_t n = i; n != npos; n = nodes[n].parent) {
        Place from = nodes[n].at;
        publish(to, addr_at(from), value_of(from));
        release(from);
        to = from;
      }
      return to;
    }
    if (std::find(seen.begin(), seen.end(), other) != seen.end())
      continue;
    seen.push_back(other);
    for (uint32_t s = 0; s < slots_; ++s)
      nodes.push_back({{other, s}, i});
  }
  return std::nullopt;
}

bool HostTable::update(const IpAddress &address, const mcf2b_host_value &value) {
  if (address.is_v4() != v4_ || value.jails == 0)
    throw std::invalid_argument("HostTable::update: wrong address family or no jail");
  auto p = locate(address.bytes().data());
  if (!p)
    return false;
  mcf2b_host_value old = value_of(*p);
  uint8_t *v = value_at(*p);
  if (old.jails != value.jails) {
    // While the jails change, the expiry read with either mask is no later than the
    // true one: a reader at worst re-checks per-jail expiries (the slow path).
    store64(v + 8, earlier_expiry(old.earliest_ns, value.earliest_ns));
    observed();
    fence();
    store64(v, value.jails);
    fence();
    observed();
  }
  store64(v + 8, value.earliest_ns);
  observed();
  return true;
}

bool HostTable::erase(const IpAddress &address) {
  if (address.is_v4() != v4_)
    return false;
  auto p = locate(address.bytes().data());
  if (!p)
    return false;
  release(*p);
  --size_;
  return true;
}

void HostTable::for_each(
    const std::function<void(const IpAddress &, const mcf2b_host_value &)> &fn) const {
  for (uint32_t b = 0; b < buckets_; ++b)
    for (uint32_t s = 0; s < slots_; ++s)
      if (jails_at({b, s}) != 0)
        fn(address_of(addr_at({b, s})), value_of({b, s}));
}

} // namespace mcf2b
