// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// XdpEnforcer's state, shared by its two files (xdp_enforcer.cpp: opening, jails,
// attaching, the whitelist, counters; xdp_enforcer_bans.cpp: the ban path). Private to
// the enforce library.

#include <map>
#include <string>

#include "base/fd.h"
#include "userspace/enforce/ban_filter_loader.h"
#include "userspace/enforce/config_word.h"
#include "userspace/enforce/host_bans.h"
#include "userspace/enforce/jail_slots.h"
#include "userspace/enforce/prefix_bans.h"
#include "userspace/enforce/xdp_enforcer.h"
#include "userspace/enforce/xdp_whitelist.h"

namespace mcf2b {

namespace xdp_enforcer_detail {
// Runs the steps in order until one fails; that one's error, or success.
template <class... Steps> Status in_order(Steps &&...steps) {
  Status st;
  (void)(... && (st = steps()).ok());
  return st;
}
} // namespace xdp_enforcer_detail

struct XdpEnforcer::State {
  State(EnforcerOptions options, Fd pin_root_lock, LoadedBanFilter loaded)
      : opt(std::move(options)), lock(std::move(pin_root_lock)), filter(std::move(loaded)),
        config(filter.config),
        jails({filter.jail_slots, filter.jail_ports, filter.jail_stats}, config),
        hosts({filter.host_tables, std::move(filter.bloom), filter.host_per_jail,
               std::move(filter.fixed_host_tables), filter.host_table_pins},
              filter.capacity, config, map_full),
        prefixes(filter.prefix_tries, filter.layout_dir, filter.capacity, jails, config,
                 map_full),
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
    return xdp_enforcer_detail::in_order(
        [&] { return config.read(); }, [&] { return jails.rebuild(); },
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

} // namespace mcf2b
