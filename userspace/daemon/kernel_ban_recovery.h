// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/enforce/enforcer.h"

namespace mcf2b {

// At start, once the controller holds the store's state: the kernel maps are made to hold
// exactly the controller's active bans (the store wins), except bans only the maps held
// (enforced, then lost from the store: a crash between the two, a state file deleted),
// which are kept: adopted by the controller and returned, to be stored. A ban the
// controller refuses (its jail gone or disabled, the address whitelisted meanwhile) is
// left to the kernel alone, with a warning.
struct KernelBanRecovery {
  size_t active = 0;  // the controller's active bans handed to the kernel
  Decisions adopted;  // bans only the kernel held, to record
  std::string timing; // for the start-up log
};
Result<KernelBanRecovery> recover_kernel_bans(JailController &controller, Enforcer &enforcement,
                                              Seconds now);

} // namespace mcf2b
