// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/kernel_ban_recovery.h"

#include <chrono>

#include "base/elapsed.h"
#include "base/log.h"

namespace mcf2b {

Result<KernelBanRecovery> recover_kernel_bans(JailController &controller, Enforcer &enforcement,
                                              Seconds now) {
  KernelBanRecovery out;
  auto phase = std::chrono::steady_clock::now();
  // The controller was just restored from the store's rows: its active bans are the
  // store's, less those that ended while the daemon was down (not to be reinstated).
  std::vector<EnforcedBan> live = controller.enforced_bans();
  out.active = live.size();
  out.timing = "active bans listed " + seconds_since(phase);
  phase = std::chrono::steady_clock::now();
  auto only_in_maps = enforcement.reconcile(std::move(live), now);
  if (!only_in_maps)
    return only_in_maps.error().context("reconcile the kernel maps with the store");
  out.timing += ", reconcile " + seconds_since(phase) + " (" + enforcement.last_reconcile() + ")";
  for (const auto &held : *only_in_maps) {
    auto adopted = controller.adopt_kernel_ban(held.jail, held.prefix, held.expires);
    if (!adopted) {
      log_warning("left " + held.prefix.to_string() + " in " + held.jail +
                  " to the kernel alone: banned there but missing from the store, and " +
                  adopted.error().message());
      continue;
    }
    log_warning("kept " + held.prefix.to_string() + " in " + held.jail +
                ": banned in the kernel but missing from the store");
    out.adopted.append(std::move(*adopted));
  }
  return out;
}

} // namespace mcf2b
