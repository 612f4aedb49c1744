// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include "base/result.h"
#include "userspace/controller/decisions.h"

namespace mcf2b {

// Where the controller's decisions go. The daemon enforces them (maps first, for speed)
// and then persists them; mcf2b-ctl's offline mode only persists them, for the daemon to
// apply at its next start. apply() returns once the store has the change.
class DecisionSink {
public:
  virtual ~DecisionSink() = default;
  virtual Status apply(const Decisions &decisions) = 0;
  // Jails were added, enabled, disabled or changed: log sources and slots may differ.
  virtual void jails_changed() {}
  // Whitelists changed: the kernel's whitelist follows.
  virtual void whitelist_changed() {}
};

} // namespace mcf2b
