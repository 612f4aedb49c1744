// SPDX-License-Identifier: GPL-2.0-only
// XdpEnforcer's ban path: changes split into host and prefix batches for their parts
// (host_bans, prefix_bans), the jails' bans listed back, expired ones swept.
#include <algorithm>

#include "userspace/enforce/tai_clock.h"
#include "userspace/enforce/xdp_enforcer.h"
#include "userspace/enforce/xdp_enforcer_state.h"

namespace mcf2b {

// One change as a batch of one: its error, if any.
Status XdpEnforcer::apply_one(const BanChange &change) {
  auto report = apply(std::span<const BanChange>(&change, 1));
  if (!report.ok())
    return report.failed.front().second;
  return {};
}

Status XdpEnforcer::ban(std::string_view jail, const IpPrefix &prefix, Seconds expires) {
  return apply_one(BanChange::ban(std::string(jail), prefix, expires));
}

Status XdpEnforcer::unban(std::string_view jail, const IpPrefix &prefix) {
  return apply_one(BanChange::unban(std::string(jail), prefix));
}

ApplyReport XdpEnforcer::apply(std::span<const BanChange> changes) {
  auto &s = *s_;
  ApplyReport report;
  int64_t offset = tai_offset_seconds();
  // Host tables grown once for the batch's new addresses, not at each doubling on the way.
  PerAddressFamily<uint64_t> new_hosts;
  for (const auto &c : changes)
    if (c.op == BanChange::Op::ban && c.prefix.is_host() && !s.hosts.holds(c.prefix.address()))
      ++new_hosts[c.prefix.address().family()];
  // On an error each ban still grows the table when it is full, and says its own error.
  (void)s.hosts.reserve(new_hosts);
  // Host bans and real prefixes go to their parts in batches (their writes gathered):
  // host bans a slice at a time, so a bulk batch is not copied whole; the index vectors
  // map them back to the changes.
  std::vector<HostBans::Change> host_changes;
  std::vector<PrefixBans::Change> prefix_changes;
  std::vector<size_t> host_index, prefix_index;
  auto take = [&](std::vector<std::pair<size_t, Error>> failures, std::span<const size_t> index) {
    for (auto &[at, error] : failures) {
      if (at == index.size()) { // of no one change
        report.failed.emplace_back(changes.size(), std::move(error));
        continue;
      }
      const auto &c = changes[index[at]];
      --report.applied;
      report.failed.emplace_back(index[at], error.context(c.jail + " " + c.prefix.to_string()));
    }
  };
  auto apply_hosts = [&] {
    report.applied += host_changes.size();
    take(s.hosts.apply(host_changes), host_index);
    host_changes.clear();
    host_index.clear();
  };
  // Bulk changes come jail after jail: the slot is looked up when the jail changes.
  std::string_view jail;
  Result<JailSlot> kernel_slot = Error::msg("no jail");
  for (size_t i = 0; i < changes.size(); ++i) {
    const auto &c = changes[i];
    if (i == 0 || c.jail != jail) {
      jail = c.jail;
      kernel_slot = s.jails.need(jail);
    }
    if (!kernel_slot) {
      report.failed.emplace_back(i, kernel_slot.error());
      continue;
    }
    if (c.op == BanChange::Op::ban && c.expires < 0) {
      report.failed.emplace_back(i, Error::msg("negative expiry for " + c.prefix.to_string()));
      continue;
    }
    uint64_t expiry_ns = unix_to_tai_ns(c.expires, offset);
    bool ban = c.op == BanChange::Op::ban;
    if (c.prefix.is_host()) {
      host_changes.push_back(HostBans::Change{c.prefix.address(), *kernel_slot, ban, expiry_ns});
      host_index.push_back(i);
      if (host_changes.size() == HostBans::kSlice)
        apply_hosts();
    } else {
      prefix_changes.push_back(PrefixBans::Change{c.prefix, *kernel_slot, ban, expiry_ns});
      prefix_index.push_back(i);
    }
  }
  apply_hosts();
  report.applied += prefix_changes.size();
  take(s.prefixes.apply(prefix_changes), prefix_index);
  if (auto st = s.sync_ban_masks(); !st)
    report.failed.emplace_back(changes.size(), st.error());
  std::stable_sort(report.failed.begin(), report.failed.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  return report;
}

Result<std::vector<EnforcedBan>> XdpEnforcer::list_bans(std::string_view jail) const {
  const auto &s = *s_;
  auto kernel_slot = s.jails.need(jail);
  if (!kernel_slot)
    return kernel_slot.error();
  int64_t offset = tai_offset_seconds();
  std::vector<EnforcedBan> out;
  auto add = [&](const IpPrefix &p, uint64_t expiry_ns) {
    out.push_back(EnforcedBan{std::string(jail), p, tai_ns_to_unix(expiry_ns, offset)});
  };
  for (AddressFamily af : kAddressFamilies) {
    if (auto st = s.hosts.for_each_ban(af, *kernel_slot,
                                       [&](JailSlot, const IpAddress &a, uint64_t expiry_ns) {
                                         add(IpPrefix::host(a), expiry_ns);
                                       });
        !st)
      return st.error();
    if (auto st = s.prefixes.for_each_ban(af, *kernel_slot, add); !st)
      return st.error();
  }
  return out;
}

Result<std::vector<EnforcedBan>> XdpEnforcer::sweep_expired(Seconds now) {
  auto &s = *s_;
  int64_t offset = tai_offset_seconds();
  uint64_t now_ns = unix_to_tai_ns(now, offset);
  std::vector<BanChange> expired;
  std::vector<EnforcedBan> removed;
  auto note = [&](JailSlot kernel_slot, const IpPrefix &p, uint64_t expiry_ns) {
    const std::string &jail = s.jails.name(kernel_slot);
    expired.push_back(BanChange::unban(jail, p));
    removed.push_back(EnforcedBan{jail, p, tai_ns_to_unix(expiry_ns, offset)});
  };
  uint64_t in_use = s.jails.in_use_mask();
  for (AddressFamily af : kAddressFamilies) {
    if (auto st = s.hosts.for_each_expired(
            af, now_ns, in_use,
            [&](JailSlot kernel_slot, const IpAddress &a, uint64_t expiry_ns) {
              note(kernel_slot, IpPrefix::host(a), expiry_ns);
            });
        !st)
      return st.error();
    for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot) {
      if (!s.jails.in_use(kernel_slot) || !s.prefixes.count(af, kernel_slot))
        continue;
      if (auto st = s.prefixes.for_each_ban(af, kernel_slot,
                                            [&](const IpPrefix &p, uint64_t expiry_ns) {
                                              if (expiry_ns != 0 && expiry_ns <= now_ns)
                                                note(kernel_slot, p, expiry_ns);
                                            });
          !st)
        return st.error();
    }
  }
  auto report = apply(expired);
  if (!report.ok())
    return report.failed.front().second.context("sweep expired bans");
  return removed;
}

} // namespace mcf2b
