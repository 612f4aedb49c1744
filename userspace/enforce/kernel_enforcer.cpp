// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/kernel_enforcer.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <span>

#include "base/elapsed.h"
#include "base/log.h"
#include "userspace/enforce/ipset_mirror.h"
#include "userspace/enforce/iptables_fallback.h"
#include "userspace/enforce/mirror_writer.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

struct KernelEnforcer::State {
  KernelEnforcerOptions options;
  XdpEnforcer xdp;
  IpsetMirror mirror;
  std::vector<BanChange> mirror_queue;
  std::map<std::string, JailPorts> jail_ports;
  bool fallback_installed = false;
  std::string last_reconcile;
  uint64_t apply_errors = 0, mirror_errors = 0;
  // Declared last: destroyed first, so its thread finishes with `mirror` still alive.
  MirrorWriter writer;

  State(KernelEnforcerOptions o, XdpEnforcer x)
      : options(std::move(o)), xdp(std::move(x)), mirror(options.capacity) {}
};

namespace {

// Logs what an apply refused; returns how many changes it refused.
uint64_t log_apply_failures(const char *what, std::span<const BanChange> changes,
                            const ApplyReport &report) {
  uint64_t refused = 0;
  for (const auto &[index, error] : report.failed) {
    if (index >= changes.size()) { // of no one change
      log_error(std::string(what) + ": " + error.message());
      continue;
    }
    ++refused;
    log_error(std::string(what) + " " + changes[index].jail + " " +
              changes[index].prefix.to_string() + ": " + error.message());
  }
  return refused;
}

} // namespace

KernelEnforcer::KernelEnforcer(std::unique_ptr<State> s) : s_(std::move(s)) {}
KernelEnforcer::~KernelEnforcer() = default;

Result<std::unique_ptr<KernelEnforcer>> KernelEnforcer::open(const KernelEnforcerOptions &options) {
  EnforcerOptions xo;
  xo.pin_root = options.pin_root;
  xo.capacity = options.capacity;
  xo.log = [](std::string_view m) { log_warning(m); };
  auto xdp = XdpEnforcer::open(xo);
  if (!xdp)
    return xdp.error().context("open the XDP enforcer under " + options.pin_root);
  return std::unique_ptr<KernelEnforcer>(
      new KernelEnforcer(std::make_unique<State>(options, std::move(*xdp))));
}

Status KernelEnforcer::configure_jails(const std::vector<JailConfig> &jails) {
  std::vector<std::string> names;
  for (const auto &j : jails) {
    std::string why;
    auto ports = parse_port_list(j.port, &why);
    if (!ports)
      return Error::msg("jail " + j.name + ": " + why);
    JailPorts jp = JailPorts::from_list(*ports);
    auto slot = s_->xdp.set_jail(j.name, jp);
    if (!slot)
      return slot.error().context("jail " + j.name);
    s_->jail_ports[j.name] = jp;
    names.push_back(j.name);
  }
  if (s_->options.ipset_mirror)
    if (auto st = s_->mirror.ensure_jails(names); !st)
      return st.error().context("ipsets of the jails");
  if (s_->fallback_installed) {
    std::vector<IptablesFallback::Jail> fj;
    for (const auto &[name, ports] : s_->jail_ports)
      fj.push_back({name, ports});
    return IptablesFallback().install(fj);
  }
  return {};
}

Result<std::vector<std::string>> KernelEnforcer::attach(const std::vector<std::string> &interfaces) {
  std::vector<std::string> lines;
  bool need_fallback = false;
  for (const auto &ifname : interfaces) {
    auto mode = s_->xdp.attach(ifname);
    if (mode) {
      lines.push_back(ifname + ": XDP " + (*mode == XdpMode::native ? "native" : "generic"));
      continue;
    }
    log_warning("XDP cannot attach to " + ifname + ": " + mode.error().message() +
                "; enforcing with iptables over the ipsets there");
    lines.push_back(ifname + ": iptables fallback (" + mode.error().message() + ")");
    need_fallback = true;
  }
  if (need_fallback) {
    if (!s_->options.ipset_mirror)
      return Error::msg("XDP cannot attach and the ipset mirror is off: nothing would enforce");
    std::vector<IptablesFallback::Jail> fj;
    for (const auto &[name, ports] : s_->jail_ports)
      fj.push_back({name, ports});
    if (auto st = IptablesFallback().install(fj); !st)
      return st.error().context("install the iptables fallback");
    s_->fallback_installed = true;
  }
  return lines;
}

void KernelEnforcer::apply(std::span<const BanChange> changes) {
  if (changes.empty())
    return;
  ApplyReport report = s_->xdp.apply(changes);
  s_->apply_errors += log_apply_failures("enforce", changes, report);
  if (s_->options.ipset_mirror)
    s_->mirror_queue.insert(s_->mirror_queue.end(), changes.begin(), changes.end());
}

bool KernelEnforcer::pending() const { return !s_->mirror_queue.empty(); }

Status KernelEnforcer::flush() {
  if (s_->mirror_queue.empty())
    return {};
  // Written on the mirror's own thread, in order; failures are logged and counted there.
  s_->writer.submit([mirror = &s_->mirror, changes = std::move(s_->mirror_queue)] {
    return mirror->apply(changes);
  });
  s_->mirror_queue.clear();
  return {};
}

void KernelEnforcer::wait_idle() { s_->writer.drain(); }

std::string KernelEnforcer::last_reconcile() const { return s_->last_reconcile; }

namespace {

bool live(Seconds end, Seconds now) { return end == 0 || end > now; }

// The changes that make one jail's map entries (`held`) the wanted bans, both sorted by
// prefix: expired entries go, changed ends are rewritten, missing bans are added, and
// entries the store does not know stay (returned through `only_in_maps`). `held_after`
// gets every prefix the jail holds once the changes are applied.
void diff_jail(const std::string &jail, std::span<const EnforcedBan> wanted,
               std::span<const EnforcedBan> held, Seconds now, std::vector<BanChange> &changes,
               std::vector<EnforcedBan> &only_in_maps, std::vector<IpPrefix> &held_after) {
  size_t w = 0, h = 0;
  while (w < wanted.size() || h < held.size()) {
    if (h == held.size() || (w < wanted.size() && wanted[w].prefix < held[h].prefix)) {
      changes.push_back(BanChange::ban(jail, wanted[w].prefix, wanted[w].expires));
      held_after.push_back(wanted[w++].prefix);
    } else if (w == wanted.size() || held[h].prefix < wanted[w].prefix) {
      const EnforcedBan &b = held[h++];
      if (!live(b.expires, now)) {
        changes.push_back(BanChange::unban(jail, b.prefix));
        continue;
      }
      // Kept: a ban the kernel enforces that the store does not know (written by a
      // daemon that died before its store write). The caller adopts it.
      only_in_maps.push_back(b);
      held_after.push_back(b.prefix);
    } else {
      if (held[h].expires != wanted[w].expires)
        changes.push_back(BanChange::ban(jail, wanted[w].prefix, wanted[w].expires));
      held_after.push_back(wanted[w].prefix);
      ++w, ++h;
    }
  }
}

} // namespace

Result<std::vector<EnforcedBan>> KernelEnforcer::reconcile(std::vector<EnforcedBan> active,
                                                           Seconds now) {
  auto started = std::chrono::steady_clock::now();
  // Live bans only, sorted by jail then prefix: each jail's are one span, in the order
  // diff_jail walks them.
  std::erase_if(active, [now](const EnforcedBan &b) { return !live(b.expires, now); });
  std::sort(active.begin(), active.end(), [](const EnforcedBan &x, const EnforcedBan &y) {
    return x.jail != y.jail ? x.jail < y.jail : x.prefix < y.prefix;
  });
  std::map<std::string, std::span<const EnforcedBan>> wanted;
  for (size_t i = 0; i < active.size();) {
    size_t end = i;
    while (end < active.size() && active[end].jail == active[i].jail)
      ++end;
    wanted[active[i].jail] = std::span<const EnforcedBan>(active).subspan(i, end - i);
    i = end;
  }
  std::vector<EnforcedBan> only_in_maps;
  std::vector<BanChange> changes;
  // What each jail's map entries are once the changes are applied, for the mirror.
  std::map<std::string, std::vector<IpPrefix>> held_after;
  for (const auto &info : s_->xdp.jails()) {
    std::span<const EnforcedBan> want;
    if (auto it = wanted.find(info.name); it != wanted.end()) {
      want = it->second;
      wanted.erase(it);
    }
    auto &after = held_after[info.name];
    if (info.host_bans == 0 && info.prefix_bans == 0) {
      // Empty in the kernel (a first start, or a reboot): every live ban is added, with
      // no entries to read back and compare.
      changes.reserve(changes.size() + want.size());
      after.reserve(want.size());
      for (const auto &b : want) {
        changes.push_back(BanChange::ban(info.name, b.prefix, b.expires));
        after.push_back(b.prefix);
      }
      continue;
    }
    auto held = s_->xdp.list_bans(info.name);
    if (!held)
      return held.error();
    std::sort(held->begin(), held->end(),
              [](const auto &x, const auto &y) { return x.prefix < y.prefix; });
    diff_jail(info.name, want, *held, now, changes, only_in_maps, after);
  }
  // Jails the maps do not have (refused by configure_jails): their bans fail, logged.
  for (const auto &[jail, want] : wanted)
    for (const auto &b : want)
      changes.push_back(BanChange::ban(jail, b.prefix, b.expires));
  ApplyReport report = s_->xdp.apply(changes);
  s_->apply_errors += log_apply_failures("reconcile", changes, report);
  s_->last_reconcile = "kernel maps " + seconds_since(started) + " for " +
                       std::to_string(changes.size()) + " changes";
  if (s_->options.ipset_mirror) {
    // The mirror is made to hold what the maps were given: one read of every set, one
    // restore stream. The maps already enforce: the mirror catches up on its own thread (for a
    // million bans a plain `ipset restore` alone takes seconds) while the daemon starts serving.
    // Changes decided meanwhile are queued behind it, so they land in order.
    s_->writer.submit([mirror = &s_->mirror, prefixes = std::move(held_after)] {
      return mirror->reconcile_all(prefixes);
    });
    s_->last_reconcile += ", ipset mirror handed to its thread";
  }
  return only_in_maps;
}

Status KernelEnforcer::sync_whitelist(const std::vector<IpPrefix> &global,
                                   const std::vector<std::pair<std::string, IpPrefix>> &per_jail) {
  using Key = std::pair<std::string, IpPrefix>; // "" = global
  std::set<Key> want;
  for (const auto &p : global)
    want.insert({"", p});
  for (const auto &[jail, p] : per_jail)
    if (s_->xdp.slot_of(jail))
      want.insert({jail, p});
  std::set<Key> have;
  for (const auto &e : s_->xdp.whitelist()) {
    if (e.global)
      have.insert({"", e.prefix});
    for (const auto &j : e.jails)
      have.insert({j, e.prefix});
  }
  for (const auto &k : have)
    if (!want.count(k)) {
      auto st = k.first.empty() ? s_->xdp.whitelist_remove(k.second)
                                : s_->xdp.whitelist_remove(k.second, k.first);
      if (!st)
        return st;
    }
  for (const auto &k : want)
    if (!have.count(k)) {
      auto st = k.first.empty() ? s_->xdp.whitelist_add(k.second)
                                : s_->xdp.whitelist_add(k.second, k.first);
      if (!st)
        return st;
    }
  return {};
}

Status KernelEnforcer::sweep(Seconds now) {
  auto swept = s_->xdp.sweep_expired(now);
  if (!swept)
    return swept.error();
  if (s_->options.ipset_mirror)
    for (const auto &b : *swept)
      s_->mirror_queue.push_back(BanChange::unban(b.jail, b.prefix));
  return {};
}

EnforcementCounters KernelEnforcer::counters() const {
  EnforcementCounters out;
  out.apply_errors = s_->apply_errors;
  out.mirror_errors = s_->mirror_errors + s_->writer.errors();
  if (auto c = s_->xdp.counters(); c) {
    out.passed = c->passed;
    out.dropped = c->dropped;
    out.unparsable = c->unparsable;
    out.map_full = c->map_full;
    for (const auto &j : c->jails)
      out.jails.push_back({j.jail, j.packets, j.bytes});
  }
  return out;
}

Result<std::vector<IpPrefix>> KernelEnforcer::bans(const std::string &jail) const {
  auto bans = s_->xdp.list_bans(jail);
  if (!bans)
    return bans.error();
  std::vector<IpPrefix> out;
  for (const auto &b : *bans)
    out.push_back(b.prefix);
  return out;
}

} // namespace mcf2b
