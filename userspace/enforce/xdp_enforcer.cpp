// SPDX-License-Identifier: GPL-2.0-only
// XdpEnforcer: opening the pin root, and each operation as the steps of the parts that
// hold the maps (jail_slots, host_bans, prefix_bans, xdp_whitelist, config_word; the
// layout and loading in pinned_layout and ban_filter_loader).
#include "userspace/enforce/xdp_enforcer.h"

#include <unistd.h>

#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "base/fd.h"
#include "userspace/enforce/ban_filter_loader.h"
#include "userspace/enforce/config_word.h"
#include "userspace/enforce/host_bans.h"
#include "userspace/enforce/jail_slots.h"
#include "userspace/enforce/pinned_layout.h"
#include "userspace/enforce/prefix_bans.h"
#include "userspace/enforce/shared_structs.h"
#include "userspace/enforce/tai_clock.h"
#include "userspace/enforce/xdp_link.h"
#include "userspace/enforce/xdp_whitelist.h"

namespace mcf2b {
namespace {

// Where warnings go: the caller's log, else stderr.
void log_or_stderr(const std::function<void(std::string_view)> &log, std::string_view msg) {
  if (log)
    log(msg);
  else
    std::fprintf(stderr, "mcf2b: %.*s\n", static_cast<int>(msg.size()), msg.data());
}

// Runs the steps in order until one fails; that one's error, or success.
template <class... Steps> Status in_order(Steps &&...steps) {
  Status st;
  (void)(... && (st = steps()).ok());
  return st;
}

} // namespace

struct XdpEnforcer::State {
  State(EnforcerOptions options, Fd pin_root_lock, LoadedBanFilter loaded)
      : opt(std::move(options)), lock(std::move(pin_root_lock)), filter(std::move(loaded)),
        config(filter.config),
        jails({filter.jail_slots, filter.jail_ports, filter.jail_stats}, config),
        hosts({filter.host_tables, std::move(filter.bloom), filter.host_per_jail,
               std::move(filter.fixed_host_tables)},
              filter.capacity, config, map_full),
        prefixes(filter.prefix_tries, filter.capacity, jails, config, map_full),
        whitelist(filter.whitelist, config, map_full) {
    map_full.set_capacity(filter.capacity);
  }

  EnforcerOptions opt;
  Fd lock; // flock on the pin root: one enforcer per pin root
  LoadedBanFilter filter;
  ConfigWord config;
  MapFullCount map_full;
  JailSlots jails;
  HostBans hosts;
  PrefixBans prefixes;
  XdpWhitelist whitelist;
  std::map<std::string, Fd> links;

  // Reads back what the pinned maps hold (a restart) and derives the userspace view:
  // slots, ports, ban counts, Bloom counts, whitelist. Fresh maps read back as empty.
  Status rebuild() {
    return in_order([&] { return config.read(); }, [&] { return jails.rebuild(); },
                    [&] { return prefixes.rebuild(); }, [&] { return hosts.rebuild(); },
                    [&] { return whitelist.rebuild(); }, [&] { return config.write(); },
                    [&] { return sync_ban_masks(); });
  }

  // The config word's ban masks from the counts: a jail's bit goes once its last ban of
  // that kind and address family is gone.
  Status sync_ban_masks() {
    PerAddressFamily<uint64_t> host_jails, prefix_jails;
    for (AddressFamily af : kAddressFamilies) {
      host_jails[af] = hosts.jails_with_bans(af);
      prefix_jails[af] = prefixes.jails_with_bans(af);
    }
    return config.set_ban_masks(host_jails, prefix_jails);
  }
};

XdpEnforcer::XdpEnforcer(std::unique_ptr<State> state) : s_(std::move(state)) {}
XdpEnforcer::~XdpEnforcer() = default;
XdpEnforcer::XdpEnforcer(XdpEnforcer &&) noexcept = default;
XdpEnforcer &XdpEnforcer::operator=(XdpEnforcer &&) noexcept = default;

Result<XdpEnforcer> XdpEnforcer::open(EnforcerOptions options) {
  if (options.capacity == 0)
    return Error::msg("enforcer capacity must be at least 1");
  while (options.pin_root.size() > 1 && options.pin_root.back() == '/')
    options.pin_root.pop_back();
  auto lock = lock_pin_root(options.pin_root);
  if (!lock)
    return lock.error();
  auto log = [&options](std::string_view msg) { log_or_stderr(options.log, msg); };
  auto loaded = load_ban_filter(options.pin_root, options.capacity, log);
  if (!loaded)
    return loaded.error();
  auto s = std::make_unique<State>(std::move(options), std::move(*lock), std::move(*loaded));
  if (auto st = s->rebuild(); !st)
    return st.error();
  // The host tables now hold the bans of an older build's fixed-size ones.
  for (const std::string &pin : s->filter.fixed_host_pins) {
    if (::unlink(pin.c_str()) != 0)
      return Error::sys("unpin " + pin);
    log_or_stderr(s->opt.log,
                  "took over the bans of " + pin + " (a fixed-size host table of an older build)");
  }
  return XdpEnforcer(std::move(s));
}

const std::string &XdpEnforcer::pin_root() const {
  return s_->opt.pin_root;
}
uint32_t XdpEnforcer::capacity() const {
  return s_->filter.capacity;
}
int XdpEnforcer::program_fd() const {
  return s_->filter.program_fd();
}

Result<JailSlot> XdpEnforcer::set_jail(std::string_view name, const JailPorts &ports) {
  return s_->jails.set(name, ports);
}

Status XdpEnforcer::remove_jail(std::string_view name) {
  auto &s = *s_;
  auto kernel_slot = s.jails.find(name);
  if (!kernel_slot)
    return {};
  JailSlot j = *kernel_slot;
  // Stop enforcing first, then clear the jail's entries.
  return in_order([&] { return s.jails.deactivate(j); }, [&] { return s.hosts.unban_all(j); },
                  [&] { return s.prefixes.unban_all(j); }, [&] { return s.whitelist.drop_jail(j); },
                  [&] { return s.jails.release(j); }, [&] { return s.sync_ban_masks(); });
}

std::vector<JailInfo> XdpEnforcer::jails() const {
  const auto &s = *s_;
  std::vector<JailInfo> out;
  for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot) {
    if (!s.jails.in_use(kernel_slot))
      continue;
    uint64_t host_bans = 0, prefix_bans = 0;
    for (AddressFamily af : kAddressFamilies) {
      host_bans += s.hosts.count(af, kernel_slot);
      prefix_bans += s.prefixes.count(af, kernel_slot);
    }
    out.push_back(JailInfo{s.jails.name(kernel_slot), kernel_slot, s.jails.ports(kernel_slot),
                           host_bans, prefix_bans});
  }
  return out;
}

std::optional<JailSlot> XdpEnforcer::slot_of(std::string_view name) const {
  return s_->jails.find(name);
}

Result<XdpMode> XdpEnforcer::attach(const std::string &ifname) {
  auto &s = *s_;
  auto log = [&](std::string_view msg) { log_or_stderr(s.opt.log, msg); };
  auto att =
      attach_pinned_xdp_link(program_fd(), ifname, xdp_link_pin_path(s.opt.pin_root, ifname), log);
  if (!att)
    return att.error();
  s.links[ifname] = std::move(att->link);
  return att->mode;
}

Status XdpEnforcer::detach(const std::string &ifname) {
  auto &s = *s_;
  Fd link;
  if (auto it = s.links.find(ifname); it != s.links.end()) {
    link = std::move(it->second);
    s.links.erase(it);
  }
  return detach_pinned_xdp_link(std::move(link), xdp_link_pin_path(s.opt.pin_root, ifname));
}

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

Status XdpEnforcer::whitelist_add(const IpPrefix &prefix, std::optional<std::string_view> jail) {
  auto &s = *s_;
  uint64_t jails = kAllJails;
  if (jail) {
    auto kernel_slot = s.jails.need(*jail);
    if (!kernel_slot)
      return kernel_slot.error();
    jails = jail_bit(*kernel_slot);
  }
  return s.whitelist.add(prefix, jails);
}

Status XdpEnforcer::whitelist_remove(const IpPrefix &prefix, std::optional<std::string_view> jail) {
  auto &s = *s_;
  uint64_t jails = kAllJails;
  if (jail) {
    auto kernel_slot = s.jails.find(*jail);
    if (!kernel_slot)
      return {};
    jails = jail_bit(*kernel_slot);
  }
  return s.whitelist.remove(prefix, jails);
}

std::vector<WhitelistEntry> XdpEnforcer::whitelist() const {
  const auto &s = *s_;
  std::vector<WhitelistEntry> out;
  for (const auto &[prefix, mask] : s.whitelist.entries()) {
    WhitelistEntry e{prefix, mask == kAllJails, {}};
    if (!e.global)
      for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot)
        if ((mask & jail_bit(kernel_slot)) && s.jails.in_use(kernel_slot))
          e.jails.push_back(s.jails.name(kernel_slot));
    out.push_back(std::move(e));
  }
  return out;
}

Result<EnforcerCounters> XdpEnforcer::counters() const {
  const auto &s = *s_;
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return Error::sys("count possible CPUs", -cpus);
  EnforcerCounters out;
  out.map_full = s.map_full.count();
  std::vector<mcf2b_global_stats> global(static_cast<size_t>(cpus));
  uint32_t zero = 0;
  if (auto r = s.filter.stats.lookup(&zero, global.data()); !r)
    return r.error();
  for (const auto &c : global) {
    out.passed += c.passed;
    out.dropped += c.dropped;
    out.unparsable += c.unparsable;
    out.slow_path += c.slow_path;
  }
  std::vector<mcf2b_packet_count> per_cpu(static_cast<size_t>(cpus));
  for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot) {
    if (!s.jails.in_use(kernel_slot))
      continue;
    if (auto r = s.filter.jail_stats.lookup(&kernel_slot, per_cpu.data()); !r)
      return r.error();
    JailCounters jc{s.jails.name(kernel_slot), kernel_slot, 0, 0};
    for (const auto &c : per_cpu) {
      jc.packets += c.packets;
      jc.bytes += c.bytes;
    }
    out.jails.push_back(std::move(jc));
  }
  return out;
}

} // namespace mcf2b
