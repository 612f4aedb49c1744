// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

struct BootstrapReport {
  Decisions decisions;         // to apply: seeded -bl jails, bans that ended while down
  std::vector<Error> rejected; // jails the controller refused, each named
  RestoreSummary restore;
  bool seeded = false;         // the 15 MailCleaner jails were written to an empty store
};

// Brings a fresh JailController to the store's state, the same way for the daemon at
// start and for mcf2b-ctl's offline mode: seeds MailCleaner's default jails into an
// empty store (enabled when asked), configures the jails, the never-ban lists (this
// host's addresses, the cluster's nodes, the store's and the caller's ignore list) and
// blacklisting settings, then restores every fail2ban_ips row.
Result<BootstrapReport> bootstrap_controller(JailController &controller, StateStore &store,
                                             bool enable_default_jails,
                                             const std::vector<IpPrefix> &ignore_list,
                                             const std::vector<IpAddress> &cluster_nodes);

} // namespace mcf2b
