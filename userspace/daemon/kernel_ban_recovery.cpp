// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/kernel_ban_recovery.h"

#include <chrono>
#include <cstdio>

#include "base/log.h"

namespace mcf2b {
namespace {

using Steady = std::chrono::steady_clock;
std::string since(Steady::time_point t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f s",
                std::chrono::duration<double>(Steady::now() - t).count());
  return text;
}

} // namespace

Result<KernelBanRecovery> recover_kernel_bans(JailController &controller, Enforcer &enforcement,
                                              Seconds now) {
  KernelBanRecovery out;
  auto phase = Steady::now();
  // The controller was just restored from the store's rows: its active bans are the
  // store's, less those that ended while the daemon was down (not to be reinstated).
  std::vector<EnforcedBan> live = controller.enforced_bans();
  out.active = live.size();
  out.timing = "active bans listed " + since(phase);
  phase = Steady::now();
  auto only_in_maps = enforcement.reconcile(std::move(live), now);
  if (!only_in_maps)
    return only_in_maps.error().context("reconcile the kernel maps with the store");
  out.timing += ", reconcile " + since(phase) + " (" + enforcement.last_reconcile() + ")";
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
