// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/prefix_bans.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "userspace/enforce/inner_map_pin.h"
#include "userspace/enforce/pinned_layout.h"
#include "userspace/enforce/prefix_cover.h"
#include "userspace/enforce/shared_structs.h"

namespace mcf2b {

BpfMapRef PrefixBans::trie(AddressFamily af, JailSlot kernel_slot) const {
  return BpfMapRef(tries_[af][kernel_slot].get(),
                   af == AddressFamily::v4 ? "ban_pfx4 trie" : "ban_pfx6 trie", LpmKey::size(af),
                   sizeof(mcf2b_prefix_value));
}

Result<Fd> PrefixBans::create_trie(AddressFamily af, JailSlot kernel_slot) const {
  LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
  std::string name = std::string(af == AddressFamily::v4 ? "ban_pfx4_" : "ban_pfx6_") +
                     std::to_string(kernel_slot);
  int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name.c_str(), LpmKey::size(af),
                          sizeof(mcf2b_prefix_value), capacity_, &o);
  if (fd < 0)
    return Error::sys("create the prefix trie of jail slot " + std::to_string(kernel_slot));
  return Fd(fd);
}

// Opens the slot's trie of the address family when the outer array holds one; false
// when not.
Result<bool> PrefixBans::open_trie(AddressFamily af, JailSlot kernel_slot) {
  if (tries_[af][kernel_slot])
    return true;
  uint32_t id = 0;
  auto found = outer_[af].lookup(&kernel_slot, &id);
  if (!found)
    return found.error();
  if (!*found)
    return false;
  auto fd = open_inner_map({trie_pin(af, kernel_slot)}, id,
                           "the prefix trie of jail slot " + std::to_string(kernel_slot));
  if (!fd)
    return fd.error();
  // A trie made by a build that did not pin it: pinned now, for a start without
  // CAP_SYS_ADMIN.
  if (auto st = pin_map_at(fd->get(), trie_pin(af, kernel_slot)); !st)
    return st.error();
  tries_[af][kernel_slot] = std::move(*fd);
  return true;
}

std::string PrefixBans::trie_pin(AddressFamily af, JailSlot kernel_slot) const {
  return prefix_trie_pin(layout_dir_, af == AddressFamily::v4 ? "ban_pfx4" : "ban_pfx6",
                         kernel_slot);
}

// The slot's trie, created at its first prefix ban: each update of an outer array waits
// for an RCU grace period (tens of milliseconds), which every jail paying twice at start
// would make half a second. The program skips a missing trie.
Status PrefixBans::ensure_trie(AddressFamily af, JailSlot kernel_slot) {
  auto opened = open_trie(af, kernel_slot);
  if (!opened)
    return opened.error();
  if (*opened)
    return {};
  auto fd = create_trie(af, kernel_slot);
  if (!fd)
    return fd.error();
  // Pinned before it is placed: a placed trie always has its pin.
  if (auto st = pin_map_at(fd->get(), trie_pin(af, kernel_slot)); !st)
    return st;
  int inner = fd->get();
  if (auto st = outer_[af].update(&kernel_slot, &inner); !st)
    return st;
  tries_[af][kernel_slot] = std::move(*fd);
  return {};
}

Status PrefixBans::rebuild() {
  for (AddressFamily af : kAddressFamilies) {
    for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot) {
      if (!jails_->in_use(kernel_slot))
        continue;
      auto opened = open_trie(af, kernel_slot);
      if (!opened)
        return opened.error();
      if (!*opened)
        continue;
      auto &held = held_[af][kernel_slot];
      held.clear();
      if (auto st = trie(af, kernel_slot).for_each([&](const uint8_t *k, const uint8_t *v) {
            mcf2b_prefix_value pv;
            std::memcpy(&pv, v, sizeof(pv));
            held[LpmKey::decode(k, af)] = pv;
          });
          !st)
        return st;
      counts_[af][kernel_slot] = held.size();
    }
  }
  return {};
}

uint64_t PrefixBans::jails_with_bans(AddressFamily af) const {
  return jails_counted(counts_[af]);
}

PrefixBans::Failures PrefixBans::apply(std::span<const Change> changes) {
  Failures failures;
  std::map<std::pair<AddressFamily, JailSlot>, std::vector<size_t>> by_trie;
  for (size_t i = 0; i < changes.size(); ++i)
    by_trie[{changes[i].prefix.address().family(), changes[i].kernel_slot}].push_back(i);
  for (const auto &[trie_of, which] : by_trie)
    apply_to_trie(trie_of.first, trie_of.second, changes, which, failures);
  std::stable_sort(failures.begin(), failures.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  return failures;
}

namespace {

// One trie's entries packed for a batched map command.
struct PrefixBatch {
  std::vector<IpPrefix> prefixes;
  std::vector<mcf2b_prefix_value> values;
  std::vector<uint8_t> keys;

  void add(const IpPrefix &p, size_t key_size, const mcf2b_prefix_value *v = nullptr) {
    prefixes.push_back(p);
    LpmKey key(p);
    const auto *k = static_cast<const uint8_t *>(key.data());
    keys.insert(keys.end(), k, k + key_size);
    if (v)
      values.push_back(*v);
  }
  [[nodiscard]] uint32_t size() const { return static_cast<uint32_t>(prefixes.size()); }
};

} // namespace

void PrefixBans::apply_to_trie(AddressFamily af, JailSlot kernel_slot,
                               std::span<const Change> changes, std::span<const size_t> which,
                               Failures &failures) {
  auto fail_bans = [&](const Error &e) {
    for (size_t i : which)
      if (changes[i].ban)
        failures.emplace_back(i, e);
  };
  bool any_ban = std::any_of(which.begin(), which.end(), [&](size_t i) { return changes[i].ban; });
  if (any_ban) {
    if (auto st = ensure_trie(af, kernel_slot); !st)
      return fail_bans(st.error());
    if (auto st = config_->announce(ConfigWord::prefix_jails(af), kernel_slot); !st)
      return fail_bans(st.error());
  }
  if (!tries_[af][kernel_slot])
    return; // unbans only, of a jail without prefixes
  auto &held = held_[af][kernel_slot];
  const BpfMapRef t = trie(af, kernel_slot);
  const size_t key_size = LpmKey::size(af);

  // The trie's own expiries once the changes are made, and which bans add a prefix.
  std::map<IpPrefix, uint64_t> want;
  for (const auto &[p, v] : held)
    want[p] = v.expires_ns;
  std::map<IpPrefix, std::vector<size_t>> added_by;
  for (size_t i : which) {
    const Change &c = changes[i];
    if (c.ban) {
      want[c.prefix] = c.expiry_ns;
      if (!held.count(c.prefix))
        added_by[c.prefix].push_back(i);
    } else {
      want.erase(c.prefix);
      added_by.erase(c.prefix);
    }
  }

  // Prefixes gone first, making room: an address they held falls to a shorter prefix,
  // whose enforced expiry already covers it.
  PrefixBatch gone;
  for (const auto &[p, v] : held)
    if (!want.count(p))
      gone.add(p, key_size);
  for (uint32_t at = 0; at < gone.size();) {
    auto out = t.erase_batch(gone.keys.data() + size_t{at} * key_size, gone.size() - at);
    for (uint32_t i = at; i < at + out.done; ++i)
      held.erase(gone.prefixes[i]);
    if (out.status)
      break;
    failures.emplace_back(changes.size(), out.status.error());
    at += out.done + 1;
  }

  // Then every entry new or changed. A new prefix the trie refuses fails the bans that
  // added it, and the enforced expiries are worked out again without it.
  for (;;) {
    std::vector<std::pair<IpPrefix, uint64_t>> own(want.begin(), want.end());
    auto effective = covering_latest_expiry(own);
    PrefixBatch writes;
    for (size_t i = 0; i < own.size(); ++i) {
      mcf2b_prefix_value nv{own[i].second, effective[i]};
      auto it = held.find(own[i].first);
      if (it == held.end() || it->second.expires_ns != nv.expires_ns ||
          it->second.effective_ns != nv.effective_ns)
        writes.add(own[i].first, key_size, &nv);
    }
    auto out = t.update_batch(
        writes.keys.data(), reinterpret_cast<const uint8_t *>(writes.values.data()), writes.size());
    for (uint32_t i = 0; i < out.done; ++i)
      held[writes.prefixes[i]] = writes.values[i];
    if (out.status)
      break;
    const IpPrefix &refused = writes.prefixes[out.done];
    auto added = added_by.find(refused);
    if (added == added_by.end()) { // an entry held already: its covering expiry stays behind
      failures.emplace_back(changes.size(), out.status.error());
      break;
    }
    Error e =
        map_full_->checked(out.status, "the prefix trie of " + jails_->name(kernel_slot)).error();
    for (size_t i : added->second)
      failures.emplace_back(i, e);
    want.erase(refused);
    added_by.erase(added);
  }
  counts_[af][kernel_slot] = held.size();
}

Status PrefixBans::unban_all(JailSlot kernel_slot) {
  std::vector<Change> changes;
  for (AddressFamily af : kAddressFamilies)
    for (const auto &[p, v] : held_[af][kernel_slot])
      changes.push_back(Change{p, kernel_slot, false, 0});
  auto failures = apply(changes);
  if (!failures.empty())
    return failures.front().second;
  for (AddressFamily af : kAddressFamilies)
    counts_[af][kernel_slot] = 0;
  return {};
}

Status PrefixBans::for_each_ban(AddressFamily af, JailSlot kernel_slot, const BanFn &fn) const {
  for (const auto &[p, v] : held_[af][kernel_slot])
    fn(p, v.expires_ns);
  return {};
}

} // namespace mcf2b
