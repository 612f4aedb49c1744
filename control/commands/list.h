// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// `mcf2b-ctl list [--active] [-j JAIL] [--node NAME]`: the fail2ban_ips rows, on a
// cluster MailCleaner's "all banned IPs on all servers".
void register_list(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
