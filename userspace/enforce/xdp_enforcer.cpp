// SPDX-License-Identifier: GPL-2.0-only
// XdpEnforcer: opening the pin root, and each operation as the steps of the parts that
// hold the maps (jail_slots, host_bans, prefix_bans, xdp_whitelist, config_word; the
// layout and loading in pinned_layout and ban_filter_loader). The ban path is in
// xdp_enforcer_bans.cpp, the state both share in xdp_enforcer_state.h.
#include "userspace/enforce/xdp_enforcer.h"

#include <unistd.h>

#include <bpf/libbpf.h>

#include <cstdio>

#include "userspace/enforce/pinned_layout.h"
#include "userspace/enforce/shared_structs.h"
#include "userspace/enforce/xdp_enforcer_state.h"
#include "userspace/enforce/xdp_link.h"

namespace mcf2b {
namespace {

using xdp_enforcer_detail::in_order;

// Where warnings go: the caller's log, else stderr.
void log_or_stderr(const std::function<void(std::string_view)> &log, std::string_view msg) {
  if (log)
    log(msg);
  else
    std::fprintf(stderr, "mcf2b: %.*s\n", static_cast<int>(msg.size()), msg.data());
}

} // namespace

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
