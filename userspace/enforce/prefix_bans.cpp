// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/prefix_bans.h"

#include <bpf/bpf.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

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
  int fd = bpf_map_get_fd_by_id(id);
  if (fd < 0)
    return Error::sys("open the prefix trie of jail slot " + std::to_string(kernel_slot));
  tries_[af][kernel_slot].reset(fd);
  return true;
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
      if (auto st = trie(af, kernel_slot).for_each([&](const uint8_t *, const uint8_t *) {
            ++counts_[af][kernel_slot];
          });
          !st)
        return st;
    }
  }
  return {};
}

uint64_t PrefixBans::jails_with_bans(AddressFamily af) const {
  return jails_counted(counts_[af]);
}

Result<bool> PrefixBans::holds(const IpPrefix &prefix, JailSlot kernel_slot) const {
  mcf2b_prefix_value v{};
  return trie(prefix.address().family(), kernel_slot).lookup(LpmKey(prefix).data(), &v);
}

Status PrefixBans::ban(const IpPrefix &prefix, JailSlot kernel_slot, uint64_t expiry_ns,
                       bool refresh_after) {
  AddressFamily af = prefix.address().family();
  if (auto st = ensure_trie(af, kernel_slot); !st)
    return st;
  auto found = holds(prefix, kernel_slot);
  if (!found)
    return found.error();
  if (auto st = config_->announce(ConfigWord::prefix_jails(af), kernel_slot); !st)
    return st;
  // Enforce at once; refresh() then folds in the covering prefixes.
  mcf2b_prefix_value nv{expiry_ns, expiry_ns};
  if (auto st = map_full_->checked(trie(af, kernel_slot).update(LpmKey(prefix).data(), &nv),
                                   "the prefix trie of " + jails_->name(kernel_slot));
      !st)
    return st;
  if (!*found)
    ++counts_[af][kernel_slot];
  return refresh_after ? refresh(af, kernel_slot) : Status{};
}

Status PrefixBans::unban(const IpPrefix &prefix, JailSlot kernel_slot, bool refresh_after) {
  AddressFamily af = prefix.address().family();
  if (!tries_[af][kernel_slot])
    return {};
  auto found = holds(prefix, kernel_slot);
  if (!found)
    return found.error();
  if (!*found)
    return {};
  if (auto st = trie(af, kernel_slot).erase(LpmKey(prefix).data()); !st)
    return st;
  if (counts_[af][kernel_slot] > 0)
    --counts_[af][kernel_slot];
  return refresh_after ? refresh(af, kernel_slot) : Status{};
}

Status PrefixBans::refresh(AddressFamily af, JailSlot kernel_slot) {
  if (!tries_[af][kernel_slot])
    return {};
  auto t = trie(af, kernel_slot);
  std::vector<std::pair<IpPrefix, uint64_t>> own;
  std::vector<uint64_t> current;
  auto st = t.for_each([&](const uint8_t *k, const uint8_t *v) {
    mcf2b_prefix_value pv;
    std::memcpy(&pv, v, sizeof(pv));
    own.emplace_back(LpmKey::decode(k, af), pv.expires_ns);
    current.push_back(pv.effective_ns);
  });
  if (!st)
    return st;
  auto effective = covering_latest_expiry(own);
  for (size_t i = 0; i < own.size(); ++i) {
    if (effective[i] == current[i])
      continue;
    mcf2b_prefix_value nv{own[i].second, effective[i]};
    if (auto u = t.update(LpmKey(own[i].first).data(), &nv, BPF_EXIST);
        !u && u.error().code != ENOENT)
      return u;
  }
  return {};
}

Status PrefixBans::unban_all(JailSlot kernel_slot) {
  for (AddressFamily af : kAddressFamilies) {
    if (tries_[af][kernel_slot]) {
      std::vector<IpPrefix> prefixes;
      if (auto st = trie(af, kernel_slot).for_each([&](const uint8_t *k, const uint8_t *) {
            prefixes.push_back(LpmKey::decode(k, af));
          });
          !st)
        return st;
      for (const auto &p : prefixes)
        if (auto st = trie(af, kernel_slot).erase(LpmKey(p).data()); !st)
          return st;
    }
    counts_[af][kernel_slot] = 0;
  }
  return {};
}

Status PrefixBans::for_each_ban(AddressFamily af, JailSlot kernel_slot, const BanFn &fn) const {
  if (!tries_[af][kernel_slot])
    return {};
  return trie(af, kernel_slot).for_each([&](const uint8_t *k, const uint8_t *v) {
    mcf2b_prefix_value pv;
    std::memcpy(&pv, v, sizeof(pv));
    fn(LpmKey::decode(k, af), pv.expires_ns);
  });
}

} // namespace mcf2b
