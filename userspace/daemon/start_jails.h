// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <string>

#include "matcher/use_dns.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/model/jail_local_options.h"

namespace mcf2b {

// The jails a daemon starts with beyond the store's rows: an existing fail2ban tree's
// enabled jails (config.fail2ban_dir), then mcf2b's own jail files (config.jail_dir),
// which win where both name a jail. Merged into `controller`, their store rows appended
// to `decisions`; each jail's usedns and the options its row cannot hold are added to
// `use_dns` and `local_options`. What cannot be read is logged, not fatal.
void import_start_jails(const DaemonConfig &config, JailController &controller,
                        Decisions &decisions, std::map<std::string, matcher::UseDns> &use_dns,
                        std::map<std::string, JailLocalOptions> &local_options);

} // namespace mcf2b
